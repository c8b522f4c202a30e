"""A limit on the time a piece of code may take, where nothing in it has one of its own: a
regex that backtracks without end, a server that answers one byte at a time."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


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

    previous = signal.signal(signal.SIGALRM, overrun)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
