"""The one writer: every output file goes through here.

Paths are checked before anything is written: no absolute paths, no ``..``,
no file written twice.  The site is written into a new folder beside the
output folder and swapped in only when complete, so a failed or interrupted
build leaves the previous site as it was.
"""

from __future__ import annotations

import os
import shutil
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


class OutputFiles:
    """Output files collected in memory: relative path -> bytes."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, path: str, data: bytes | str) -> None:
        check_relative_path(path)
        if path in self.files:
            raise DigestError(f"two outputs want the same file: {path}")
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data

    def update(self, files: dict[str, bytes | str]) -> None:
        for path, data in files.items():
            self.add(path, data)


def _write_all(files: dict[str, bytes], root: Path) -> None:
    for path in sorted(files):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[path])


def replace_site(files: dict[str, bytes], out_dir: Path, *, version: str) -> None:
    """Write ``files`` as the new contents of ``out_dir``, all or nothing."""
    out_dir = out_dir.resolve()
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).exists())):
        raise DigestError(f"refusing to replace {out_dir}: it exists and was not built by digest "
                          f"(no {MARKER} file); remove it or choose another --out")
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    fresh = parent / f".{out_dir.name}.new-{os.getpid()}"
    old = parent / f".{out_dir.name}.old-{os.getpid()}"
    for leftover in parent.glob(f".{out_dir.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        _write_all(files, fresh)
        (fresh / MARKER).write_text(f"digest {version}\n", encoding="utf-8")
        if out_dir.exists():
            os.rename(out_dir, old)
        os.rename(fresh, out_dir)
    except OSError as error:
        shutil.rmtree(fresh, ignore_errors=True)
        if old.exists() and not out_dir.exists():
            os.rename(old, out_dir)
        raise DigestError(f"could not write the site: {error.strerror or error}", error.filename or out_dir) from None
    shutil.rmtree(old, ignore_errors=True)


def write_changed(files: dict[str, str], root: Path, *, stale_marker: str, subdirs: tuple[str, ...]) -> int:
    """Write text files under ``root`` whose contents changed; remove stale generated ones.

    A file in one of ``subdirs`` that is not in ``files`` is removed only if it
    contains ``stale_marker`` (so hand-written files are never deleted).
    Returns the number of files written or removed.
    """
    changed = 0
    try:
        for path, text in sorted(files.items()):
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
