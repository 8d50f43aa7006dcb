"""gru_viz._blas: one BLAS thread during core calls (single_thread), or for the whole server process."""

import pytest

from gru_viz import _blas

pytestmark = pytest.mark.skipif(not _blas._controllers, reason="no BLAS library that threadpoolctl can set")


def blas_threads() -> list[int]:
    return [c.get_num_threads() for c in _blas._controllers]


@pytest.fixture
def two_threads():
    """BLAS at two threads for the test, the process's own setting put back afterwards."""
    before = blas_threads()
    for c in _blas._controllers:
        c.set_num_threads(2)
    if blas_threads() != [2] * len(before):
        pytest.skip("this BLAS build cannot run two threads")
    yield
    for c, n in zip(_blas._controllers, before, strict=True):
        c.set_num_threads(n)


def test_single_thread_pins_blas_inside_and_puts_the_count_back_after(two_threads):
    with _blas.single_thread():
        assert blas_threads() == [1]
        with _blas.single_thread():  # nested: still one, and the outer call restores
            assert blas_threads() == [1]
        assert blas_threads() == [1]
    assert blas_threads() == [2]


def test_one_thread_for_this_process_stays_after_core_calls(two_threads):
    _blas.one_thread_for_this_process()
    assert blas_threads() == [1]
    with _blas.single_thread():
        pass
    assert blas_threads() == [1]


def test_one_thread_for_this_process_inside_a_core_call_is_not_undone_when_it_ends(two_threads):
    """Another session's core call may be running when the server pins BLAS: leaving it must not restore two."""
    with _blas.single_thread():
        _blas.one_thread_for_this_process()
    assert blas_threads() == [1]
