"""Run one function over many items in forked worker processes.

Rendering is CPU-bound Python, so threads would not help; forked workers
inherit the build's data (library, pages, compiled templates) instead of
having it pickled to them.  Each item's result comes back in order, so the
build stays deterministic whatever the number of workers.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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

#: How many chunks of items each process takes, at least, and how many items a chunk holds at
#: most: taking a chunk costs little beside its items, and the processes end close together.
CHUNKS_PER_WORKER = 16
MAX_CHUNK = 64


@dataclass
class _Task:
    """The running map, set just before the workers fork so that they inherit it: the function,
    the items in chunks, and which chunks are left (a shared array with its lock: ``ends[0]``
    is the next from the front, ``ends[1]`` one past the next from the back)."""

    function: Callable[[Any], Any]
    items: Sequence[Any]
    chunks: list[range]
    ends: Any

    def take(self, front: bool) -> int | None:
        """The next chunk left, from the front or the back, or None when all are taken."""
        with self.ends.get_lock():
            first, end = self.ends
            if first >= end:
                return None
            if front:
                self.ends[0] = first + 1
                return first
            self.ends[1] = end - 1
            return end - 1


_task: _Task | None = None


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


def _take_from_the_back(_: int) -> tuple[int, list[Any], tuple[int, BaseException] | None] | None:
    """In a forked worker: a chunk taken from the back, its results, and its first failure
    (the item's index and error), or None when no chunk is left."""
    assert _task is not None
    chunk = _task.take(front=False)
    if chunk is None:
        return None
    results = []
    for index in _task.chunks[chunk]:
        try:
            results.append(_task.function(_task.items[index]))
        except Exception as error:
            return chunk, results, (index, error)
    return chunk, results, None


def ordered_map(function: Callable[[Any], Any], items: Sequence[Any], workers: int | None = None, *,
                min_items: int = MIN_ITEMS) -> Iterator[Any]:
    """``map(function, items)``, spread over ``workers`` processes (default: one per core when
    there are at least ``min_items`` items).

    The items are taken a chunk at a time: this process, one of the workers, from the front,
    and the others, forked, from the back, until none are left.  So whichever process is
    faster takes more (a worker also sends its results back; the items at one end may cost
    more than at the other), and each process's items are neighbours.  Neighbouring items
    share much (a paper is listed on several days running), so what one process has made
    for an item and kept (an excerpt, a topic's list) serves its next ones; taking every
    other item instead, each process made much of it again, and the stages of e-mails and
    Markdown pages of 1,000 days took about 7% longer.  Each forked worker ends up with a
    private copy of much of the build's memory (CPython writes reference counts into the
    objects it reads), so one fewer of them is that much less memory.  If items fail, the
    error of the first failing item (in order) is raised."""
    if workers is None:
        workers = available_cores() if len(items) >= min_items else 1
    workers = min(workers, len(items))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(function, items)
        return
    yield from _forked_map(function, items, workers)


#: How many bytes the pipe that carries the workers' results holds: Linux's most for a process
#: without privileges.  At the default 64 KB, a worker sending a chunk of parsed snapshots (about
#: 3 MB) waited, blocked, for this process to take each 64 KB in turn between its own items; it
#: sat idle for about 40% of the parsing stage.
RESULT_PIPE_BYTES = 1 << 20


def _widen_result_pipe(pool) -> None:
    """Give the pool's result pipe room for RESULT_PIPE_BYTES, where Linux allows it."""
    try:
        import fcntl

        fcntl.fcntl(pool._outqueue._reader.fileno(), fcntl.F_SETPIPE_SZ, RESULT_PIPE_BYTES)
    except (ImportError, AttributeError, OSError):  # not Linux, or the pool's insides differ: only slower
        pass


def _forked_map(function: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    global _task
    size = max(1, min(MAX_CHUNK, len(items) // (workers * CHUNKS_PER_WORKER)))
    chunks = [range(first, min(first + size, len(items))) for first in range(0, len(items), size)]
    results: list[Any] = [None] * len(items)
    failures: list[tuple[float, BaseException]] = []
    context = multiprocessing.get_context("fork")
    _task = task = _Task(function, items, chunks, context.Array("q", [0, len(chunks)]))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        with context.Pool(workers - 1, initializer=_die_with_parent) as pool:
            _widen_result_pipe(pool)
            # One task per chunk, as many as there could be: each takes what is left, if anything.
            forked = pool.imap(_take_from_the_back, range(len(chunks)))  # the workers start now
            while not failures and (chunk := task.take(front=True)) is not None:
                for index in chunks[chunk]:
                    try:
                        results[index] = function(items[index])
                    except Exception as error:
                        failures.append((index, error))
                        break
            # This process's chunks come before every worker's: after a failure here, nothing
            # the workers do matters.  Else every worker's outcome counts: with several, a later
            # one may have failed at an earlier item.
            if not failures:
                try:
                    for outcome in forked:
                        if outcome is None:
                            continue
                        chunk, values, failure = outcome
                        for index, value in zip(chunks[chunk], values):
                            results[index] = value
                        if failure:
                            failures.append(failure)
                except Exception as error:  # a result or error that could not be sent back
                    failures.append((math.inf, error))
    finally:
        _task = None
        sys.setswitchinterval(interval)
    if failures:
        raise min(failures, key=lambda failure: failure[0])[1]
    return results
