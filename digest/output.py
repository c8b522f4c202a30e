"""The one writer: every output file goes through here.

Paths are checked before anything is written: no absolute paths, no ``..``,
no file written twice.  The site is written into a new folder beside the
output folder and swapped in only when complete, so a failed or interrupted
build leaves the previous site as it was.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from digest.errors import DigestError

#: Written into every site digest builds; an existing output folder without it is never replaced.
MARKER = ".digest-site"


def check_relative_path(path: str) -> str:
    """The path if it is a safe relative POSIX path inside the output folder, else DigestError."""
    pure = PurePosixPath(path)
    if (not path or path.startswith("/") or "\\" in path or "\x00" in path
            or any(part in ("", ".", "..") for part in path.split("/")) or pure.is_absolute()):
        raise DigestError(f"refusing to write outside the output folder: {path!r}")
    return path


class _Reuse:
    """Marks an output that is the previous build's file, unchanged."""

    def __repr__(self) -> str:
        return "REUSE"


REUSE = _Reuse()


class OutputFiles:
    """Output files collected in memory: relative path -> bytes, or REUSE for the previous build's file."""

    def __init__(self) -> None:
        self.files: dict[str, bytes | _Reuse] = {}
        self.keys: dict[str, str] = {}  #: path -> key of the inputs it was made from

    def add(self, path: str, data: bytes | str | _Reuse, key: str = "") -> None:
        check_relative_path(path)
        if path in self.files:
            raise DigestError(f"two outputs want the same file: {path}")
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data
        self.keys[path] = key

    def update(self, files: dict[str, bytes | str], key: str = "") -> None:
        for path, data in files.items():
            self.add(path, data, key)


def _link_or_copy(source: Path, target: Path) -> None:
    """Put the previous build's file in the new site without writing its bytes again."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@dataclass(frozen=True)
class WriteReport:
    hashes: dict[str, str]  #: path -> sha256 of every file of the new site
    written: list[str]  #: the files whose bytes were written; all others were linked from the previous site


def _write_all(files: dict[str, bytes | _Reuse], root: Path, previous: Path | None,
               previous_hash: Callable[[str], str | None]) -> WriteReport:
    """Write (or link from ``previous``) every file under ``root``."""
    hashes: dict[str, str] = {}
    written: list[str] = []
    made: set[Path] = set()
    for path in sorted(files):
        target = root / path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        data = files[path]
        old = previous / path if previous is not None else None
        if data is REUSE:
            assert old is not None
            _link_or_copy(old, target)
            hashes[path] = previous_hash(path) or hashlib.sha256(old.read_bytes()).hexdigest()
            continue
        digest = hashlib.sha256(data).hexdigest()
        hashes[path] = digest
        if old is not None and digest == previous_hash(path) and old.is_file():
            _link_or_copy(old, target)  # same bytes as before: not written again
        else:
            target.write_bytes(data)
            written.append(path)
    return WriteReport(hashes, written)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 with RENAME_EXCHANGE).

    Returns False where the system or file system cannot, so the caller falls back to two renames.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(error, os.strerror(error), str(b))


def recover_interrupted_swap(out_dir: Path) -> None:
    """Undo what a build killed in the middle of a two-rename swap left: put the old site back."""
    parent = out_dir.parent
    if not out_dir.exists():
        olds = sorted(parent.glob(f".{out_dir.name}.old-*"), key=lambda p: p.stat().st_mtime)
        if olds:
            os.rename(olds[-1], out_dir)
    for leftover in [*parent.glob(f".{out_dir.name}.new-*"), *parent.glob(f".{out_dir.name}.old-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def check_output_folder(out_dir: Path) -> None:
    """Refuse an output folder that exists and was not built by digest (it would be replaced)."""
    out_dir = out_dir.resolve()
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).exists())):
        raise DigestError(f"refusing to replace {out_dir}: it exists and was not built by digest "
                          f"(no {MARKER} file); remove it or choose another --out")


def replace_site(files: dict[str, bytes | _Reuse], out_dir: Path, *, version: str,
                 previous_hash: Callable[[str], str | None] = lambda path: None) -> WriteReport:
    """Write ``files`` as the new contents of ``out_dir``, all or nothing.

    The new site is written into a folder beside ``out_dir`` and swapped in at
    once, so that a build that fails or is killed at any moment leaves the
    previous site exactly as it was.  Files the previous build already had
    (REUSE, or the same bytes by ``previous_hash``) are hard-linked from it,
    not written again.
    """
    out_dir = out_dir.resolve()
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        recover_interrupted_swap(out_dir)
    except OSError as error:
        raise DigestError(f"cannot prepare the output folder: {error.strerror or error}",
                          error.filename or out_dir) from None
    check_output_folder(out_dir)
    fresh = parent / f".{out_dir.name}.new-{os.getpid()}"
    old = parent / f".{out_dir.name}.old-{os.getpid()}"
    try:
        report = _write_all(files, fresh, out_dir if out_dir.is_dir() else None, previous_hash)
        (fresh / MARKER).write_text(f"digest {version}\n", encoding="utf-8")
        if not out_dir.exists():
            os.rename(fresh, out_dir)
        elif _exchange(fresh, out_dir):
            shutil.rmtree(fresh, ignore_errors=True)  # now holds the previous site
        else:
            os.rename(out_dir, old)
            os.rename(fresh, out_dir)
            shutil.rmtree(old, ignore_errors=True)
    except OSError as error:
        shutil.rmtree(fresh, ignore_errors=True)
        if old.exists() and not out_dir.exists():
            os.rename(old, out_dir)
        raise DigestError(f"could not write the site: {error.strerror or error}", error.filename or out_dir) from None
    return report


def write_changed(files: dict[str, str | None], root: Path, *, stale_marker: str, subdirs: tuple[str, ...]) -> int:
    """Write text files under ``root`` whose contents changed; remove stale generated ones.

    A value of None means the file is known to be up to date and is left alone.
    A file in one of ``subdirs`` that is not in ``files`` is removed only if it
    contains ``stale_marker`` (so hand-written files are never deleted).
    Returns the number of files written or removed.
    """
    changed = 0
    try:
        for path, text in sorted(files.items()):
            if text is None:
                continue
            target = root / check_relative_path(path)
            data = text.encode("utf-8")
            if target.is_file() and target.read_bytes() == data:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.tmp")
            temporary.write_bytes(data)
            os.replace(temporary, target)
            changed += 1
        for sub in subdirs:
            for existing in sorted((root / sub).glob("*.md")):
                relative = existing.relative_to(root).as_posix()
                if relative not in files and stale_marker in existing.read_text(encoding="utf-8", errors="replace"):
                    existing.unlink()
                    changed += 1
    except OSError as error:
        raise DigestError(f"could not write: {error.strerror or error}", error.filename or root) from None
    return changed
