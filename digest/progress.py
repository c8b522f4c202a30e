"""How a build reports its stages: a live status line on a terminal, timed lines with
``--verbose``, nothing at all when piped, in CI or with ``--quiet``."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import Iterator, TextIO


class Progress:
    """Reports build stages.  The base class is silent (for piped output, CI and tests)."""

    @contextmanager
    def stage(self, label: str) -> Iterator[None]:
        yield

    def close(self) -> None:
        pass


def silence(stream: TextIO) -> None:
    """Send what is still to go to ``stream``, and all that follows, nowhere: a report of work
    must not turn the work into a failure (a reader that stopped reading, a full disk), nor
    fail again when Python flushes the stream on the way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file of its own (a StringIO)
        pass


class VerboseProgress(Progress):
    """One line per stage with how long it took.  A stage line that cannot be written stops no
    build: the rest of them go nowhere."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    @contextmanager
    def stage(self, label: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        try:
            print(f"digest: {label} ({time.perf_counter() - start:.2f} s)", file=self.stream, flush=True)
        except Exception:  # noqa: BLE001 - OSError, or digest's error for it (see cli.StandardOutput)
            silence(self.stream)


class TerminalProgress(Progress):
    """A spinner with the current stage, shown only while the build runs (rich)."""

    def __init__(self, stream: TextIO):
        from rich.console import Console

        # While the status shows, rich prints what is written to stderr (a warning) for it:
        # soft_wrap, so that a warning stays one line, whatever the terminal's width.
        self.status = Console(file=stream, soft_wrap=True).status("digest: starting")
        self.status.start()

    @contextmanager
    def stage(self, label: str) -> Iterator[None]:
        self.status.update(f"digest: {label}")
        yield

    def close(self) -> None:
        self.status.stop()


def choose_progress(*, quiet: bool, verbose: bool, stream: TextIO = sys.stderr,
                    environ=os.environ) -> Progress:
    """Verbose when asked; a live status only on an interactive terminal outside CI; else silent."""
    if verbose:
        return VerboseProgress(stream)
    if quiet or environ.get("CI") or not stream.isatty() or environ.get("TERM") == "dumb":
        return Progress()
    return TerminalProgress(stream)
