"""gru_viz.tcp_nodelay: Nagle's algorithm off on the server's own sockets, and only on those."""

import socket
import sys

import pytest

from gru_viz import tcp_nodelay


def nodelay(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


def listening_like_streamlit() -> socket.socket:
    """A listening socket made as Streamlit 1.67 makes its own: protocol 0, which asyncio leaves without
    TCP_NODELAY."""
    sock = socket.socket(family=socket.AF_INET)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


@pytest.mark.skipif(not tcp_nodelay._open_fds(), reason="no /proc/self/fd or /dev/fd to list sockets")
def test_apply_sets_nodelay_on_the_servers_port_only_and_once():
    server, other = listening_like_streamlit(), listening_like_streamlit()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()  # a connection open before apply, as the first visitor's
    try:
        assert server.proto == 0 and not nodelay(server) and not nodelay(accepted)  # the problem

        assert tcp_nodelay.apply(port) == 2  # the listening socket and the accepted one, not the client's end
        assert nodelay(server) and nodelay(accepted)
        assert not nodelay(other) and not nodelay(client)  # another port; the client's own end (its port differs)
        assert tcp_nodelay.apply(port) == 0  # once per port

        if sys.platform == "linux":  # Linux copies TCP_NODELAY from the listening socket to what it accepts
            later_client = socket.create_connection(("127.0.0.1", port))
            later, _ = server.accept()
            assert nodelay(later)
            later.close()
            later_client.close()
    finally:
        for sock in (server, other, client, accepted):
            sock.close()


def test_apply_on_a_port_nobody_listens_on_sets_nothing():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    free_port = probe.getsockname()[1]
    probe.close()
    assert tcp_nodelay.apply(free_port) == 0
