"""Turn off Nagle's algorithm on the Streamlit server's sockets: every small response was held ~40 ms.

Streamlit 1.67 binds its listening socket itself, as `socket.socket(family)`: protocol number 0. asyncio sets
TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP (`asyncio.base_events._set_nodelay`), so none of the
server's connections has it. A response written in two pieces (headers, then body: every static file) then sends
its second piece only once the browser has acknowledged the first, and the browser delays that acknowledgement by
up to 40 ms. Measured with `bench/bench_static.py`: 44 ms for every small file, six at a time, so a page's ~100
JavaScript chunks took ~0.8 s to arrive. Linux copies TCP_NODELAY from a listening socket to the sockets it
accepts, so setting it there once fixes every later connection; the connections already open get it too.

This runs inside the server process (app.py calls `apply` on every run; it works once) and only touches TCP
sockets bound to the server's own port.
"""

from __future__ import annotations

import os
import socket
import stat

_done_for_port: int | None = None


def _open_fds() -> list[int]:
    """This process's open file descriptors (Linux /proc, macOS /dev/fd); [] where neither exists."""
    for where in ("/proc/self/fd", "/dev/fd"):
        try:
            return [int(name) for name in os.listdir(where)]
        except (OSError, ValueError):
            continue
    return []


def sockets_on_port(port: int) -> list[socket.socket]:
    """Duplicates of this process's TCP sockets whose local port is ``port`` (listening or connected); the caller
    closes them (closing a duplicate leaves the original open)."""
    found, seen = [], set()
    for fd in _open_fds():
        try:
            info = os.fstat(fd)
            # once per socket: a number in the listing may by now be one of our own duplicates
            if not stat.S_ISSOCK(info.st_mode) or info.st_ino in seen:
                continue
            duplicate = os.dup(fd)
        except OSError:  # closed meanwhile (the listing's own descriptor among them)
            continue
        try:
            sock = socket.socket(fileno=duplicate)  # family and type read from the descriptor
        except OSError:
            os.close(duplicate)
            continue
        seen.add(info.st_ino)
        try:
            local_port = sock.getsockname()[1] if sock.family in (socket.AF_INET, socket.AF_INET6) else None
        except OSError:
            local_port = None
        if sock.type == socket.SOCK_STREAM and local_port == port:
            found.append(sock)
        else:
            sock.close()
    return found


def apply(port: int) -> int:
    """Set TCP_NODELAY on this process's sockets on ``port``, once per port; returns how many were set (0 when
    already done, or when the server listens on a Unix socket)."""
    global _done_for_port
    if _done_for_port == port:
        return 0
    count = 0
    for sock in sockets_on_port(port):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            count += 1
        except OSError:  # a connection closing meanwhile
            pass
        finally:
            sock.close()
    _done_for_port = port
    return count
