"""Run one function over many items in forked worker processes.

Rendering is CPU-bound Python, so threads would not help; forked workers
inherit the build's data (library, pages, compiled templates) instead of
having it pickled to them.  Each item's result comes back in order, so the
build stays deterministic whatever the number of workers.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

#: How often this process's threads may take turns while it works and its pool's thread takes in
#: the workers' results.  At Python's default (5 ms), a worker whose results are large (a parsed
#: snapshot: about 90 KB pickled) waits on a full pipe for much of that time after each one:
#: parsing 1,000 snapshots, it took twice as long for its half as this process did for its own.
#: At 0.5 ms it keeps up (the parsing stage went from 3.4-3.7 s to 2.6-2.7 s).
SWITCH_INTERVAL = 0.0005

#: Below this many items a stage runs in this process: starting workers would cost more than it
#: saves.  For items of about a millisecond (a paper's page); stages of costlier items pass less.
MIN_ITEMS = 200

# The function and items of the running map, set just before the workers fork so they inherit it.
_task: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _die_with_parent() -> None:
    """A worker ends when the build process ends, even when it is killed outright (Linux)."""
    try:
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _call(index: int) -> Any:
    assert _task is not None
    function, items = _task
    return function(items[index])


def ordered_map(function: Callable[[Any], Any], items: Sequence[Any], workers: int | None = None, *,
                min_items: int = MIN_ITEMS) -> Iterator[Any]:
    """``map(function, items)``, spread over ``workers`` processes (default: one per core when
    there are at least ``min_items`` items), a few chunks of items per worker.

    This process is one of the workers: it takes the first ``1 / workers`` of the
    items while the others, forked, take the rest.  Neighbouring items share much
    (a paper is listed on several days running), so what one process has made
    for an item and kept (an excerpt, a topic's list) serves its next ones; taking
    every other item instead, each process made much of it again, and the stages
    of e-mails and Markdown pages of 1,000 days took about 7% longer.  Each forked
    worker ends up with a private
    copy of much of the build's memory (CPython writes reference counts into the
    objects it reads), so one fewer of them is that much less memory.  If items
    fail, the error of the first failing item (in order) is raised."""
    if workers is None:
        workers = available_cores() if len(items) >= min_items else 1
    workers = min(workers, len(items))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(function, items)
        return
    yield from _forked_map(function, items, workers)


def _forked_map(function: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    global _task
    mine = -(-len(items) // workers)  # this process's share: the first items
    theirs = range(mine, len(items))
    results: dict[int, Any] = {}
    failed: tuple[int, BaseException] | None = None
    _task = (function, items)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers - 1, initializer=_die_with_parent) as pool:
            size = max(1, min(64, len(theirs) // (workers * 8)))
            forked = pool.imap(_call, theirs, size)  # the workers start now
            for index in range(mine):
                try:
                    results[index] = function(items[index])
                except Exception as error:
                    failed = (index, error)
                    break
            done = 0
            try:
                for result in forked:
                    if failed and theirs[done] > failed[0]:
                        break  # nothing after the failed item matters
                    results[theirs[done]] = result
                    done += 1
            except Exception as error:
                if not failed or theirs[done] < failed[0]:
                    failed = (theirs[done], error)
    finally:
        _task = None
        sys.setswitchinterval(interval)
    if failed:
        raise failed[1]
    return [results[i] for i in range(len(items))]
