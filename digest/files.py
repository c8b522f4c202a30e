"""What digest knows of files as it reads them, with nothing of the build: which files are
snapshots, how large one may be, reading without waiting and within bounds, and the mark of
a Markdown page digest wrote.  A leaf module: the pure stages (parsing, dating, settings,
Markdown pages) take these from here without the build's writer and cache."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

SNAPSHOT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json")
#: A day written YYYY-MM-DD in a file's name, as digest add and fetch name snapshots (see digest.dates).
FILENAME_DATE_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")

#: A day's page is a few hundred KB at most; far larger files are not snapshots.
MAX_SNAPSHOT_BYTES = 50 * 1024 * 1024

#: Who made a Markdown page, as its front matter says (``generator:``), and the line that says
#: digest did: what tells a generated page from a page of the user's.
GENERATOR = "digest"
PAGE_MARKER = f"generator: {GENERATOR}"


def read_now(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes of a file opened without blocking; OSError when it has nothing to read
    yet, which no saved file does (a terminal, /proc/kmsg, which stat calls a regular file)."""
    data = stream.read(size)
    if data is None:
        raise OSError(errno.EAGAIN, "nothing to read without waiting: not a saved file")
    return data


def _opened(path: str | Path, refused: Callable[[int], bool]) -> BinaryIO:
    """``path`` opened for reading without blocking (opening a named pipe would wait for a
    writer); OSError where ``refused`` is true of what it is (its mode)."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    stream = open(descriptor, "rb")
    if refused(os.fstat(descriptor).st_mode):
        stream.close()
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return stream


def read_bounded(path: Path, limit: int) -> bytes:
    """A file's bytes, or its first ``limit + 1``: enough to tell it is too large, and no more (a
    link to /dev/zero is endless).  Opened without blocking, and a named pipe or socket refused,
    so that nothing makes digest wait; OSError for what cannot be read (a folder, a link loop)."""
    with _opened(path, lambda mode: stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)) as stream:
        return read_now(stream, limit + 1)


def open_saved(path: str | Path) -> BinaryIO:
    """A file a build saved (in its cache), opened for reading: OSError for anything but a regular
    file, which no build saves (a named pipe put there would make every build wait for ever)."""
    return _opened(path, lambda mode: not stat.S_ISREG(mode))


def unprintable_name(name: str) -> str | None:
    """What makes a file's name no name to publish or read (a message, "rename the file" after
    it), or None: bytes that are not UTF-8 (which come as lone surrogates), or a character that
    shows nothing or moves the text (a line break, a no-break or zero-width space)."""
    if name.isprintable():
        return None
    bad = next(c for c in name if not c.isprintable())
    if "\udc80" <= bad <= "\udcff":
        return "the file name is not UTF-8 text"
    return f"the file name holds U+{ord(bad):04X}, which is no printable character"
