"""A limit on the time a piece of code may take, where nothing in it has one of its own: a
regex that backtracks without end, a server that answers one byte at a time."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

try:
    # signal.signal converts handlers to and from enums, which costs ten times the call itself,
    # and topic matching sets a limit for every paper.
    from _signal import signal as _set_handler
except ImportError:  # not CPython
    _set_handler = signal.signal


class Overrun(Exception):
    """Raised inside ``time_limit`` once its time is up."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Overrun in the code inside once ``seconds`` have passed.  A timer signal does it,
    which the regex engine and blocking socket reads answer; where there is none, or off the
    main thread, there is no limit."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def overrun(signum, frame):
        raise Overrun

    previous = _set_handler(signal.SIGALRM, overrun)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _set_handler(signal.SIGALRM, previous)
