"""The one writer: every output file goes through here.

Paths are checked before anything is written: no absolute paths, no ``..``,
no file written twice.  The site is written into a new folder beside the
output folder and swapped in only when complete, so a failed or interrupted
build leaves the previous site as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import filecmp
import hashlib
import os
import re
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import BinaryIO
from dataclasses import dataclass
from pathlib import Path

from digest.errors import DigestError
from digest.files import PAGE_MARKER

#: Written into every site digest builds; an existing output folder without it is never replaced.
MARKER = ".digest-site"


def check_relative_path(path: str) -> str:
    """The path if it is a safe relative POSIX path inside the output folder, else DigestError."""
    if (not path or path.startswith("/") or "\\" in path or "\x00" in path
            or any(part in ("", ".", "..") for part in path.split("/"))):
        raise DigestError(f"refusing to write outside the output folder: {path!r}")
    return path


class _Reuse:
    """Marks an output that is the previous build's file, unchanged."""

    def __repr__(self) -> str:
        return "REUSE"


REUSE = _Reuse()


@dataclass(frozen=True, slots=True)
class Placed:
    """One file of the new site, as placed in it."""

    key: str  #: key of the inputs it was made from ("" when it is not reused across builds)
    sha256: str
    made: bool  #: made in this build (False: the previous build's file, not made again)
    written: bool  #: its bytes were written (False: linked from the previous site, or a dry run)
    inode: int = 0  #: the file's inode number (0 in a dry run): how the next build knows its file again


def _make_parent(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        # A folder reused from an older site may hold a file where a folder must now be.
        for parent in reversed(target.parents):
            if parent.is_file() or parent.is_symlink():
                parent.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)


def remove_entry(path: str | Path) -> None:
    """Remove what holds ``path``: a folder with everything in it, anything else (a file, a
    link) itself.  A link is never followed."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _new_entry(target: str, make: Callable[[str], int]) -> int:
    """Give ``target`` a new directory entry with ``make(target)``, which writes, links or moves
    a file there, fails if the name is taken, and returns the file's inode number.  The folder
    being filled is not the live site, so whatever holds the name goes first: a folder, or a
    file, which may be a hard link to the live site's file and so is replaced, never written
    into.  Missing parent folders are made.  (No temporary file and rename: a file costs one
    directory operation, not three.)"""
    try:
        return make(target)
    except (FileExistsError, IsADirectoryError):
        remove_entry(target)
    except (FileNotFoundError, NotADirectoryError):
        try:
            os.mkdir(os.path.dirname(target))  # the common case, a folder of one new page: one call
        except OSError:
            _make_parent(Path(target))
    return make(target)


def _written(data: bytes) -> Callable[[str], int]:
    def make(target: str) -> int:
        with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), "wb") as stream:
            stream.write(data)
            return os.fstat(stream.fileno()).st_ino
    return make


def _write_file(target: str, data: bytes) -> int:
    """Write ``data`` to ``target`` in the folder being filled; returns the file's inode number.
    A file there that no other name shares (one link: not the live site's file) is written over
    where it is, which costs no directory operation and frees no blocks; anything else is
    replaced by a new file."""
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:  # not there, a folder, a symbolic link, or a folder missing on the way
        return _new_entry(target, _written(data))
    with open(descriptor, "wb") as stream:
        status = os.fstat(descriptor)
        if stat.S_ISREG(status.st_mode) and status.st_nlink == 1:
            stream.write(data)
            stream.truncate()
            return status.st_ino
    return _new_entry(target, _written(data))


def _linked(source: str) -> Callable[[str], int]:
    """A hard link to the previous build's file: it is not written again (a copy where links fail)."""
    def make(target: str) -> int:
        try:
            os.link(source, target)
        except (FileExistsError, FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise
        except OSError:  # no hard links here (another file system, or none at all)
            shutil.copy2(source, target)
        return os.stat(target).st_ino
    return make


def _moved(source: Path, data: bytes) -> Callable[[str], int]:
    def make(target: str) -> int:
        try:
            os.link(source, target)  # and the source goes with its folder
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            return _written(data)(target)
        return os.stat(target).st_ino
    return make


class Previous:
    """The site a build replaces, as the last build recorded it (site path -> [key, sha256,
    inode]), and what the folder being filled holds of it.

    A reused folder is listed once (names and inode numbers, no file opened): a file there
    whose inode is the one recorded for its path is the previous site's file, with the bytes
    recorded for it, and is left as it is.  Without a listing (``held`` None), each file is
    compared with the live one."""

    def __init__(self, root: Path | None, recorded: Mapping[str, Sequence] | None = None,
                 held: Mapping[str, int] | None = None):
        self.root = str(root) if root is not None else None
        self.recorded = recorded or {}
        self.held = held
        self._marker: tuple[int, int] | None = None  #: the mode and owner of digest's files (see ``same_bytes``)

    def hash(self, path: str) -> str | None:
        entry = self.recorded.get(path)
        return entry[1] if entry else None

    def holds(self, path: str) -> bool | None:
        """Whether the folder being filled already holds the previous site's file for ``path``
        (None: not known without looking)."""
        if self.held is None:
            return None
        entry = self.recorded.get(path)
        return entry is not None and len(entry) > 2 and self.held.get(path) == entry[2]

    def link(self, path: str, target: str) -> int:
        """Make ``target`` the previous site's file for ``path``, unless it already is; returns its inode."""
        assert self.root is not None
        old = os.path.join(self.root, path)
        holds = self.holds(path)
        if holds:
            return self.recorded[path][2]
        if holds is None:
            try:
                if os.path.samefile(target, old):
                    return os.stat(target).st_ino
            except OSError:
                pass
        return _new_entry(target, _linked(old))

    def same_bytes(self, path: str, data: bytes) -> bool:
        """Whether the previous site holds ``data`` at ``path`` in a file as digest leaves one, to
        be taken as it is where the cache has no record of it: a file of its own (not a symbolic
        link, nor hard-linked from beyond the site and its spare), with the owner of the site's
        marker file, which digest wrote, and the mode this build gives its files (not one
        chmodded by hand)."""
        assert self.root is not None
        if self._marker is None:
            try:
                marker = os.lstat(os.path.join(self.root, MARKER))
            except OSError:
                return False
            # The mode this build gives the files it writes, where the process's umask can be read
            # without changing it (a file written under another umask is written anew, as --clean would).
            mode = _umask_mode()
            self._marker = (marker.st_mode if mode is None else stat.S_IFREG | mode, marker.st_uid)
        try:
            descriptor = os.open(os.path.join(self.root, path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return False
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # a folder where a file now goes, say
            os.close(descriptor)
            return False
        with open(descriptor, "rb") as stream:
            status = os.fstat(descriptor)
            # Its other name, if it has one, is the spare folder's (being filled into the new site).
            links = 2 if self.held and self.held.get(path) == status.st_ino else 1
            return (stat.S_ISREG(status.st_mode) and status.st_nlink <= links and status.st_size == len(data)
                    and (status.st_mode, status.st_uid) == self._marker
                    and stream.read() == data)

    def has(self, path: str) -> bool:
        """Whether the previous site's file for ``path`` can be linked: it is held, or still there,
        the file the last build recorded (a file put in its place since, by hand or by another
        program, is a new inode: it is not that build's, whatever it holds)."""
        if self.holds(path):
            return True
        if self.root is None:
            return False
        try:
            status = os.stat(os.path.join(self.root, path))
        except OSError:
            return False
        entry = self.recorded.get(path)
        return stat.S_ISREG(status.st_mode) and (entry is None or len(entry) < 3 or entry[2] == status.st_ino)


def _umask_mode() -> int | None:
    """The permission bits of a file this process makes (0o666 less its umask), from Linux's
    /proc/self/status; None where it is not there (os.umask would change the umask to read it)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return None


def place_file(root: Path | None, previous: Previous, path: str, data: bytes | _Reuse | Path, key: str) -> Placed:
    """Put one file into the new site under ``root``: linked from the ``previous`` site when it is
    REUSE or has the bytes the previous build recorded, else written.  ``data`` may be a finished
    file (a search index file): it is then moved in, not written again, if it is on the same
    file system (else its bytes are written).
    ``root`` None is a dry run.  ``root`` may hold an older site (see SiteWriter): a file there
    that already is the previous site's file is left as it is.

    Safe to call from several processes at once for different paths."""
    finished = None
    if isinstance(data, Path):
        finished, data = data, data.read_bytes()
    check_relative_path(path)
    if data is REUSE:
        assert previous.root is not None and root is not None
        inode = previous.link(path, os.path.join(root, path))
        digest = previous.hash(path) or hashlib.sha256(Path(previous.root, path).read_bytes()).hexdigest()
        return Placed(key, digest, False, False, inode)
    digest = hashlib.sha256(data).hexdigest()
    if root is None:
        return Placed(key, digest, True, False)
    target = os.path.join(root, path)
    if previous.root is not None:
        recorded = previous.hash(path)
        # Same bytes as recorded, or, with no record of the file (the cache was deleted, or made
        # for other settings), as the live file holds: linked, not written.
        if (previous.has(path) if digest == recorded else recorded is None and previous.same_bytes(path, data)):
            return Placed(key, digest, True, False, previous.link(path, target))
    if finished is not None:
        inode = _new_entry(target, _moved(finished, data))
    elif previous.held == {}:  # the folder held no file when the build began (a new folder): no file to write over
        inode = _new_entry(target, _written(data))
    else:
        inode = _write_file(target, data)
    return Placed(key, digest, True, True, inode)


def _folder_of(path: str) -> str:
    """The folder of a site path ("" at the top): ``os.path.dirname`` for the "/"-separated
    paths of a site, several times faster (a day's build asks it of every file)."""
    return path.rpartition("/")[0]


#: A folder whose time is this close to when it was looked at may have changed again since,
#: within the same tick of the file system's clock, unseen: it is listed, not trusted.
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class FolderListing:
    """What a site folder held when the build that made it was over: its files (site path ->
    inode number) and, for each folder in it, the folder's inode number and modification time.

    Adding, removing or renaming an entry sets its folder's modification time,
    so a folder whose inode and time are still the recorded ones holds the same
    names: when the site folder comes back as the folder to fill (see
    SiteWriter), only the folders that changed since are listed again."""

    root: int  #: inode number of the top folder (which is always listed: a swap moves it)
    files: dict[str, int]
    folders: dict[str, tuple[int, int]]  #: folder -> (inode number, modification time in ns)
    taken: int  #: when the folders were looked at (ns since the epoch)


def walk_folder(top: str, prefix: str = "", enter: Callable[[str], bool] = lambda name: True
                ) -> Iterator[tuple[str, os.DirEntry, bool]]:
    """Every entry under the folder ``top`` as (``prefix`` + its path there, the entry, whether
    it is a folder walked into), each folder before what it holds; a folder is walked into when
    ``enter`` takes its path.  Without recursion, and with no folder held open while another is
    read: a site folder nested thousands deep (put there by hand) is walked as any other."""
    stack = [(iter(_folder_entries(top)), prefix)]
    while stack:
        entries, within = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        name = within + entry.name
        entered = entry.is_dir(follow_symlinks=False) and enter(name)
        yield name, entry, entered
        if entered:
            stack.append((iter(_folder_entries(entry.path)), name + "/"))


def _folder_entries(folder: str) -> list[os.DirEntry]:
    """A folder's entries, read whole (an entry keeps its kind and inode number once read)."""
    with os.scandir(folder) as entries:
        return list(entries)


def scan_folder(root: Path, listing: FolderListing | None = None
                ) -> tuple[dict[str, int], list[str], dict[str, tuple[int, int]]]:
    """Every file under ``root`` (site path -> inode number) and every folder, from the folder
    listings alone (no file is opened or looked at on its own); and the folders that ``listing``
    (what a build recorded of this folder) still describes, with their inode and time, whose
    files are taken from it instead of being listed."""
    files: dict[str, int] = {}
    folders: list[str] = []
    trusted: dict[str, tuple[int, int]] = {}

    def scan(folder: str, prefix: str, recursive: bool) -> None:
        # Below a folder the listing does not know, it knows none: all of it is listed.
        unknown = (lambda name: True) if recursive or listing is None else (lambda name: name not in listing.folders)
        for name, entry, entered in walk_folder(folder, prefix, unknown):
            if entered:
                folders.append(name)
            elif entry.is_file(follow_symlinks=False):
                files[name] = entry.inode()
            elif not entry.is_dir(follow_symlinks=False):
                # digest makes files and folders only.  A link put into the site (which this
                # folder was) would take the files written through it out of the site.
                os.unlink(entry.path)

    top = str(root)
    if listing is None or os.lstat(top).st_ino != listing.root:
        scan(top, "", True)
        return files, folders, trusted
    stale = [""]
    # Each folder after the one it is in: a link put in place of that one is removed before
    # anything below it is looked at, never through the link (lstat follows all but the last name).
    for folder, recorded in sorted(listing.folders.items(), key=lambda item: item[0].count("/")):
        try:
            status = os.lstat(os.path.join(top, folder))
        except OSError:
            continue  # gone: its parent folder changed, and is listed
        if not stat.S_ISDIR(status.st_mode):
            os.unlink(os.path.join(top, folder))  # not what the build left here (see scan)
            continue
        folders.append(folder)
        if (status.st_ino, status.st_mtime_ns) == recorded and recorded[1] < listing.taken - RACY_NS:
            trusted[folder] = recorded
        else:
            stale.append(folder)
    for path, inode in listing.files.items():
        if _folder_of(path) in trusted:
            files[path] = inode
    for folder in stale:
        scan(os.path.join(top, folder), folder + "/" if folder else "", False)
    return files, folders, trusted


def listed_files(root: Path) -> tuple[dict[str, int], set[str]] | None:
    """Every file under ``root`` (site path -> inode number) and every folder, from the folder
    listings alone (no file is looked at on its own); None when it holds anything else (a link,
    say) or cannot be listed."""
    files: dict[str, int] = {}
    folders: set[str] = set()
    try:
        for name, entry, entered in walk_folder(str(root)):
            if entered:
                folders.add(name)
            elif entry.is_file(follow_symlinks=False):
                files[name] = entry.inode()
            else:
                return None
    except OSError:
        return None
    return files, folders


def parent_folders(paths: Iterable[str]) -> set[str]:
    """Every folder the site paths are in ("dates" and "dates/2026-01-07" for a day's page)."""
    folders: set[str] = set()
    for path in paths:
        end = path.rfind("/")
        while end > 0 and (folder := path[:end]) not in folders:
            folders.add(folder)
            end = path.rfind("/", 0, end)
    return folders


def folder_listing(root: Path, files: Mapping[str, int], known: Mapping[str, tuple[int, int]]) -> FolderListing:
    """What the site folder ``root`` holds now: these files, and each of their folders's inode
    and time, looked up again unless ``known`` has them (folders nothing was put in or taken from)."""
    taken = time.time_ns()
    top = str(root)
    folders: dict[str, tuple[int, int]] = {}
    for path in files:
        folder = _folder_of(path)
        while folder and folder not in folders:
            recorded = known.get(folder)
            if recorded is None:
                status = os.lstat(os.path.join(top, folder))
                recorded = (status.st_ino, status.st_mtime_ns)
            folders[folder] = recorded
            folder = _folder_of(folder)
    return FolderListing(os.lstat(top).st_ino, dict(files), folders, taken)


@dataclass(frozen=True)
class WriteReport:
    hashes: dict[str, str]  #: path -> sha256 of every file of the new site
    written: list[str]  #: the files whose bytes were written; all others were linked from the previous site


def _place_marker(target: str, live: str, data: bytes) -> None:
    """Give the new site its marker file: the live site's, when that holds these bytes (as every
    unchanged file is), so that a build writes no file whose bytes stay the same."""
    if _holds(live, data):
        try:
            if os.path.samefile(target, live):
                return
        except OSError:
            pass
        _new_entry(target, _linked(live))
    elif not _holds(target, data):
        _new_entry(target, _written(data))


def _holds(path: str, data: bytes) -> bool:
    """Whether ``path`` is a regular file (not a link to one) holding ``data``, a few bytes."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as stream:
            return stream.read(len(data) + 1) == data
    except OSError:
        return False


class SiteWriter:
    """Writes a new site file by file into a folder beside ``out_dir``, and swaps it in at ``commit``.

    Nothing of the new site is held in memory.  The new folder is removed if
    the build fails (use it as a context manager), so a failed or interrupted
    build leaves the previous site exactly as it was; a build killed outright
    leaves a folder the next build removes.  With ``out_dir`` None it is a dry
    run: files are checked and hashed, nothing is written.

    With ``spare``, the new site is made in that folder instead, which holds
    the site before the previous one (the last swap left it there): most of
    its files already are the previous site's (hard links), so only what
    changed since is linked or written, and what is no longer part of the
    site is removed, instead of building the whole tree anew.  After the
    swap it holds the previous site, for the next build."""

    def __init__(self, out_dir: Path | None, *, recorded: Mapping[str, Sequence] | None = None,
                 spare: Path | None = None, listing: FolderListing | None = None):
        self.recorded = recorded or {}  #: what the last build recorded of its files: path -> [key, sha256, inode]
        self.files: dict[str, Placed] = {}
        self.out_dir = resolved_folder(out_dir) if out_dir is not None else None
        # The spare folder's own name is not resolved: a link there is replaced, never followed.
        self.spare = resolved_folder(spare.parent) / spare.name if spare is not None else None
        self.root: Path | None = None  #: the folder being filled (None in a dry run)
        self.previous: Path | None = None  #: the site being replaced, if any
        self.known = Previous(None)  #: the site being replaced, and what the folder being filled holds of it
        self._folders: list[str] = []  #: the folders of a reused folder, as it was found
        self._listing = listing  #: what the build that made the spare folder recorded of it
        self._trusted: dict[str, tuple[int, int]] = {}  #: folders of the spare found as recorded
        self._emptied: set[str] = set()  #: folders of the spare that strays were removed from

    def __enter__(self) -> "SiteWriter":
        if self.out_dir is None:
            return self
        out_dir, parent = self.out_dir, self.out_dir.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            recover_interrupted_swap(out_dir)
            check_output_folder(out_dir)
            held: dict[str, int] = {}
            if self.spare is not None:
                self.root = self.spare
                for leftover in self.spare.parent.glob(f"{self.spare.name}.search-*"):  # a killed build's
                    shutil.rmtree(leftover, ignore_errors=True)
                own_folder(self.root)
                if os.stat(self.root).st_dev != os.stat(parent).st_dev:  # found now, not after the whole build
                    raise DigestError(f"cannot build into this folder: {_APART}", out_dir)
                held, self._folders, self._trusted = scan_folder(self.root, self._listing)
            else:
                self.root = parent / f".{out_dir.name}.new-{os.getpid()}"
                if self.root.exists() and not _a_builds(self.root):
                    raise DigestError("cannot prepare the output folder: a folder digest did not make is where it "
                                      "makes the new site; move it away", self.root)
                remove_build_folder(self.root)
                self.root.mkdir()
                (self.root / MARKER).write_bytes(b"")  # a build's from the start, for recover_interrupted_swap
        except OSError as error:
            raise DigestError(f"cannot prepare the output folder: {error.strerror or error}",
                              error.filename or out_dir) from None
        self.previous = out_dir if out_dir.is_dir() else None
        self.known = Previous(self.previous, self.recorded if self.previous else {}, held)
        return self

    def __exit__(self, kind, value, traceback) -> None:
        # A half-made spare folder is kept (the next build checks every file of it anyway), unless
        # the disk is (nearly) full, as after a build that ran out of room: it would keep it full.
        if kind is not None and self.root is not None and (self.spare is None or _nearly_full(self.root)):
            remove_build_folder(self.root)

    def place(self, path: str, data: bytes | str | _Reuse | Path, key: str = "") -> Placed:
        """Put one file (bytes, text, a finished file to move in, or REUSE for the previous build's
        file) into the new site without recording it: safe in worker processes, whose results go to ``adopt``."""
        if isinstance(data, str):
            try:
                data = data.encode("utf-8")
            except UnicodeEncodeError as error:  # a lone surrogate: snapshot text never holds one, a template may
                raise DigestError(f"{path}: its text is not Unicode throughout (a lone surrogate at character "
                                  f"{error.start:,}), made by a template") from None
        try:
            return place_file(self.root, self.known, path, data, key)
        except OSError as error:
            raise DigestError(f"could not write the site: {error.strerror or error}",
                              error.filename or self.out_dir) from None

    def add(self, path: str, data: bytes | str | _Reuse | Path, key: str = "") -> Placed:
        """Place one file and record it."""
        if path in self.files:
            raise DigestError(f"two outputs want the same file: {path}")
        placed = self.files[path] = self.place(path, data, key)
        return placed

    def keep(self, path: str, recorded: Sequence) -> None:
        """Record the previous site's file for ``path`` as this site's, with what the last build
        recorded of it ([key, sha256, inode]): linked in unless the folder being filled holds it."""
        if path in self.files:
            raise DigestError(f"two outputs want the same file: {path}")
        if self.known.holds(path):
            self.files[path] = Placed(recorded[0], recorded[1], False, False, recorded[2])
        else:
            self.add(path, REUSE, recorded[0])

    def update(self, files: dict[str, bytes | str | Path], key: str = "") -> None:
        for path, data in files.items():
            self.add(path, data, key)

    def adopt(self, path: str, placed: Placed) -> None:
        """Record a file that a worker process placed with ``place_file``."""
        if path in self.files:
            raise DigestError(f"two outputs want the same file: {path}")
        self.files[path] = placed

    def _remove_strays(self) -> None:
        """Remove what a reused folder held beyond this site's files, and the folders that leaves
        empty (from the listing made when the build started: nothing else is put there)."""
        keep = set(self.files) | {MARKER}
        assert self.root is not None and self.known.held is not None
        root = str(self.root)
        candidates: set[str] = set()  # folders that may be empty now

        def ancestors(path: str) -> None:
            folder = _folder_of(path)
            while folder and folder not in candidates:
                candidates.add(folder)
                folder = _folder_of(folder)

        for path in self.known.held:
            if path in keep:
                continue
            try:
                os.unlink(os.path.join(root, path))
            except (FileNotFoundError, NotADirectoryError):
                pass  # gone already, to make way for a file of the new site
            except IsADirectoryError:  # a folder of the new site took its place
                continue
            ancestors(path)
            self._emptied.add(_folder_of(path))
        occupied = {_folder_of(path) for path in self.known.held} | {_folder_of(f) for f in self._folders}
        for folder in self._folders:
            if folder not in occupied:  # empty when the build started (a killed build's leftover)
                candidates.add(folder)
                ancestors(folder)
        for folder in sorted(candidates, key=lambda name: -name.count("/")):
            try:
                os.rmdir(os.path.join(root, folder))
                self._emptied.add(_folder_of(folder))
            except OSError:
                pass  # not empty: a folder of the new site, or a file took its place

    def listing(self) -> FolderListing | None:
        """After ``commit``: what the site folder holds, for the build that gets it back as its
        spare folder (two builds on).  The folders this build put nothing in and took nothing
        from are known from when it started; the others are looked at again."""
        if self.out_dir is None or self.spare is None or not self.out_dir.is_dir():
            return None
        changed = set(self._emptied)
        for path in self.files:
            if not self.known.holds(path):
                changed.add(_folder_of(path))
        found = set(self._folders)  # the folders there when the build started
        for folder in {_folder_of(path) for path in self.files}:
            while folder and folder not in found:  # a new folder: its parent changed too
                folder = _folder_of(folder)
                changed.add(folder)
        known = {folder: entry for folder, entry in self._trusted.items() if folder not in changed}
        try:
            return folder_listing(self.out_dir, {path: placed.inode for path, placed in self.files.items()}, known)
        except OSError:
            return None  # the next build lists the folder instead

    def commit(self, *, version: str) -> WriteReport:
        """Swap the new site in, all at once."""
        report = WriteReport({p: f.sha256 for p, f in sorted(self.files.items())},
                             sorted(p for p, f in self.files.items() if f.written))
        if self.root is None or self.out_dir is None:
            return report
        out_dir, fresh = self.out_dir, self.root
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        try:
            if self.spare is not None:
                self._remove_strays()
            _place_marker(str(fresh / MARKER), str(out_dir / MARKER), f"digest {version}\n".encode("utf-8"))
            if not out_dir.exists():
                os.rename(fresh, out_dir)
            elif _exchange(fresh, out_dir):
                if self.spare is None:
                    remove_build_folder(fresh)  # now holds the previous site
            else:
                os.rename(out_dir, old)
                os.rename(fresh, out_dir)
                if self.spare is None:
                    remove_build_folder(old)
                else:
                    os.rename(old, fresh)
        except OSError as error:
            if self.spare is None:
                remove_build_folder(fresh)
            if old.exists() and not out_dir.exists():
                os.rename(old, out_dir)
            reason = error.strerror or str(error)
            if error.errno == errno.EBUSY and os.path.ismount(out_dir):
                reason += (": it is a mount point, and digest puts a new site in place by renaming folders; "
                           "build into a folder inside it")
            elif error.errno == errno.EXDEV and self.spare is not None:
                reason += f": {_APART}"
            raise DigestError(f"could not write the site: {reason}", error.filename or out_dir) from None
        self.root = None
        return report


#: Why a build cache on a file system (or mount) of its own cannot be used.
_APART = ("the build cache beside it, where the new site is made, is on another file system (or mount) than the "
          "output folder, and the new site is put in place by renaming folders; keep both on one")


#: Below this share of its blocks or inodes free, a file system is nearly full.
NEARLY_FULL = 0.05


def _nearly_full(folder: Path) -> bool:
    """Whether the file system of ``folder`` has little room left, in blocks or in inodes."""
    try:
        status = os.statvfs(folder)
    except OSError:
        return False
    return (status.f_bavail < status.f_blocks * NEARLY_FULL
            or (status.f_files > 0 and status.f_favail < status.f_files * NEARLY_FULL))


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
    """Undo what a build killed in the middle of a two-rename swap left: put the old site back.
    Only folders named as a build names them (``.site.old-PID``, ``.site.new-PID``) and holding
    its marker (or nothing) are touched: not another output folder's cache (``.site.old-2025.cache``
    of ``--out site.old-2025``), nor a copy the user named so (``.site.old-20250101``)."""
    parent = out_dir.parent
    pattern = re.compile(rf"\.{re.escape(out_dir.name)}\.(old|new)-[0-9]+")
    try:
        names = [name for name in os.listdir(parent) if pattern.fullmatch(name)]
    except OSError:
        return  # no parent folder to list: nothing left there either
    leftovers = [parent / name for name in sorted(names)
                 if (parent / name).is_dir() and not (parent / name).is_symlink() and _a_builds(parent / name)]
    if not out_dir.exists():
        olds = sorted((p for p in leftovers if pattern.fullmatch(p.name)[1] == "old"),
                      key=lambda p: p.stat().st_mtime)
        if olds:
            os.rename(olds[-1], out_dir)
            leftovers.remove(olds[-1])
    for leftover in leftovers:
        remove_build_folder(leftover)


def remove_build_folder(folder: Path) -> None:
    """Remove a folder a build made or swapped out, as far as it can, its marker last: one that a
    kill stops halfway is still known for a build's (see ``_a_builds``), and removed next time."""
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name != MARKER]
    except OSError:
        return
    for entry in entries:
        with contextlib.suppress(OSError):
            remove_entry(entry.path)
    with contextlib.suppress(OSError):
        os.unlink(folder / MARKER)
    with contextlib.suppress(OSError):
        os.rmdir(folder)


def _a_builds(folder: Path) -> bool:
    """Whether a folder is a build's: it holds digest's marker (a site swapped out, or one being
    made), or nothing (one a build was killed in just after making it)."""
    try:
        return (folder / MARKER).is_file() or not any(folder.iterdir())
    except OSError:
        return False


def resolved_folder(folder: Path) -> Path:
    """``folder`` made absolute, its links followed; DigestError if they lead round in a loop."""
    try:
        return folder.resolve()
    except (RuntimeError, OSError) as error:  # RuntimeError: Python before 3.13 on a link loop
        raise DigestError(f"cannot use this folder: {getattr(error, 'strerror', None) or 'a loop of links'}",
                          folder) from None


def check_output_apart(content_dir: Path, out_dir: Path, cache_dir: Path | None = None,
                       templates_dir: Path | None = None) -> None:
    """Refuse an output folder that is the content folder, holds it, or lies in the folders of it
    that digest reads or writes (snapshots/, dates/, topics/, static/): a build replaces its output folder
    whole.  A folder such as content/site is fine.  The cache kept beside it (``cache_dir``), which
    ``build --clean`` empties, may not be the content folder or hold it either.  Neither may have
    anything to do with the templates folder (``templates_dir``): a build would replace the
    templates, or change them with every site it writes."""
    content, out = resolved_folder(content_dir), resolved_folder(out_dir)
    if out == content or out in content.parents or _in_content_folders(content, out):
        raise DigestError(f"cannot build into this folder: it is, holds or lies in a folder of the content folder "
                          f"{content_dir} that digest reads or writes; choose another --out", out_dir)
    cache = resolved_folder(cache_dir) if cache_dir is not None else None
    if cache is not None and (cache == content or cache in content.parents):
        raise DigestError(f"cannot build into this folder: the build cache beside it, {cache}, is or holds the "
                          f"content folder {content_dir}; choose another --out", out_dir)
    if templates_dir is not None:
        templates = resolved_folder(templates_dir)
        if any(_overlap(templates, folder) for folder in (out, cache) if folder is not None):
            raise DigestError(f"cannot build into this folder: it, or the build cache beside it, is, holds or lies "
                              f"in the templates folder {templates_dir}; choose another --out", out_dir)


def _overlap(a: Path, b: Path) -> bool:
    """Whether one of two resolved folders is, or lies in, the other."""
    return a == b or a in b.parents or b in a.parents


def check_outside_content_folders(content_dir: Path, folder: Path) -> None:
    """Refuse a folder to write files into that is a content folder, or is or lies in a folder of
    the content folder that digest reads or writes (snapshots/, dates/, topics/, static/): a file written
    there could replace a snapshot or a Markdown page."""
    resolved = resolved_folder(folder)
    if resolved == resolved_folder(content_dir) or (resolved / "site.yaml").is_file():
        raise DigestError("cannot write into the content folder: files named by a day there are taken for "
                          "snapshots saved in the wrong folder; choose another --out", folder)
    if _in_content_folders(resolved_folder(content_dir), resolved):
        raise DigestError(f"cannot write into this folder: it is or lies in a folder of the content folder "
                          f"{content_dir} that digest reads or writes; choose another --out", folder)
    # Any content folder's, not only the one named: a folder holding site.yaml is one.
    for owned in (resolved, *resolved.parents):
        if owned.name in _CONTENT_FOLDERS and (owned.parent / "site.yaml").is_file():
            raise DigestError(f"cannot write into this folder: it is or lies in a folder of the content folder "
                              f"{owned.parent} that digest reads or writes; choose another --out", folder)


def check_outside_templates_folder(templates_dir: Path, folder: Path) -> None:
    """Refuse a folder to write files into that is or lies in the templates folder, whose files
    are templates, or in its assets/ (also where a link to a shared folder leads), whose files
    are the site's.  A hidden folder elsewhere in the templates folder holds neither."""
    templates, resolved = resolved_folder(templates_dir), resolved_folder(folder)
    assets = resolved_folder(templates_dir / "assets")
    inside = resolved.relative_to(templates).parts if templates == resolved or templates in resolved.parents else None
    if (assets == resolved or assets in resolved.parents
            or inside is not None and not any(part.startswith(".") for part in inside)):
        raise DigestError("cannot write into the templates folder, whose files are templates (and those of assets/ "
                          "files of the site); give --out another folder", folder)


_CONTENT_FOLDERS = ("snapshots", "dates", "topics", "static")  # static/: its files are published


def _in_content_folders(content: Path, folder: Path) -> bool:
    """Whether ``folder`` is, or lies in, snapshots/, dates/, topics/ or static/ of ``content`` (both resolved)."""
    return any(folder == owned or owned in folder.parents  # a folder of them may be a link: where it leads
               for owned in (resolved_folder(content / name) for name in _CONTENT_FOLDERS))


def check_output_folder(out_dir: Path) -> None:
    """Refuse an output folder that exists and was not built by digest (it would be replaced)."""
    out_dir = resolved_folder(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).exists())):
        raise DigestError(f"refusing to replace {out_dir}: it exists and was not built by digest "
                          f"(no {MARKER} file); remove it or choose another --out")


def write_temporary(temporary: Path, data: bytes) -> None:
    """Write a temporary file that is then renamed into place, as a new file: whatever holds the
    name first (a file left by a killed build, or a link planted to make digest write elsewhere)
    is removed, never followed.  A write that fails (a full disk) removes what it wrote (see
    ``open_temporary``)."""
    with open_temporary(temporary) as stream:
        stream.write(data)


def remove_temporary(temporary: Path) -> None:
    """Remove a temporary file a failed write left, if it can be."""
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)


def write_replacing(target: Path, data: bytes) -> None:
    """Make ``data`` the file ``target``: written into a temporary file beside it, then renamed
    over it, so that a link there is replaced, never written through.  When the rename fails (a
    folder holds the name, say), the temporary file is removed and the OSError names ``target``."""
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        write_temporary(temporary, data)
        os.replace(temporary, target)
    except OSError as error:
        remove_temporary(temporary)
        raise OSError(error.errno, error.strerror, str(target)) from None


def write_all_replacing(files: Mapping[Path, bytes]) -> None:
    """``write_replacing`` for files that go together (an e-mail's three): all are written to
    temporary files first, then renamed into place, each old one kept aside under a hard link
    until all are; a failure or an interrupt on the way puts the old files back and removes the
    new ones, so that the folder holds all the old files or all the new."""
    temporaries: dict[Path, Path] = {}
    done: list[tuple[Path, Path | None]] = []  # each file replaced, and where its old self is (None: none)
    try:
        for target, data in files.items():
            temporaries[target] = temporary = staged_names(target)[0]
            try:
                write_temporary(temporary, data)
            except OSError as error:
                raise OSError(error.errno, error.strerror, str(target)) from None
        for target, temporary in temporaries.items():
            done.append((target, _kept_aside(target)))
            try:
                os.replace(temporary, target)
            except OSError as error:
                raise OSError(error.errno, error.strerror, str(target)) from None
    except BaseException:
        _undo(done)
        for temporary in temporaries.values():
            remove_temporary(temporary)
        raise
    for _, aside in done:
        if aside is not None:
            with contextlib.suppress(OSError):
                aside.unlink()


@contextmanager
def open_temporary(temporary: Path) -> Iterator[BinaryIO]:
    """``write_temporary``'s new file, open for writing, for what is written in parts.  A write
    that fails (a full disk) removes what was written: a part of a file would keep the room
    that ran out."""
    try:
        temporary.unlink()
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        remove_entry(temporary)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with open(descriptor, "wb") as stream:
            yield stream
    except OSError:
        remove_temporary(temporary)
        raise


def own_folder(folder: Path) -> None:
    """Make sure ``folder`` is a folder of its own: a link, or a file, holding its name is
    removed (never followed), and the folder made."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        remove_entry(folder)
    folder.mkdir(parents=True, exist_ok=True)


def lock_or_wait(file, waiting: Callable[[], None] | None, where: Path) -> None:
    """Take the exclusive lock (flock) of an open file or folder, held until it is closed; when
    another process holds it, call ``waiting`` first (to say so), then wait for it.  DigestError
    naming ``where`` (the file or folder) where the file system refuses locks (NFS without its
    lock service), which the error itself does not name."""
    try:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                waiting()
            fcntl.flock(file, fcntl.LOCK_EX)
    except OSError as error:
        raise DigestError(f"cannot lock, which keeps two builds from writing at once: {error.strerror or error}",
                          where) from None


@contextmanager
def pages_lock(content_dir: Path, warn: Callable[[str], None] | None = None, *,
               required: bool = True) -> Iterator[None]:
    """One build at a time writes a content folder's Markdown pages: two builds of the same
    content into two output folders staged the same pages under the same temporary names, and
    one failed (and one add of a snapshot, see digest.store).  The lock is on the folder itself
    (flock on its descriptor), so that no file is made in it for the lock; a second command
    waits, saying so with ``warn``.  Where the file system has no locks and the lock is not
    ``required``, the command goes on without it, as before locks were taken."""
    try:
        descriptor = os.open(content_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:  # no content folder: reading it says so
        descriptor = None
    try:
        if descriptor is not None:
            note = (f"{content_dir}: another build or add of this content folder is running; waiting for it to "
                    f"finish")
            try:
                lock_or_wait(descriptor, (lambda: warn(note)) if warn else None, content_dir)
            except DigestError:
                if required:
                    raise
        yield
    finally:
        if descriptor is not None:
            os.close(descriptor)


#: What is wrong with a folder of Markdown pages that is a link: a build writes and removes pages
#: in these folders, and must not do so wherever a link leads.
LINKED_FOLDER = "a link, where digest keeps its Markdown pages (it writes and removes pages there): make it a folder"


def stage_text(root: Path, path: str, text: str) -> Path | None:
    """Write ``text`` into a temporary file beside ``root/path`` if it differs from that file;
    returns the temporary file, or None when the file already holds exactly this text."""
    target = root / check_relative_path(path)
    data = text.encode("utf-8")
    if not target.is_file() and (target.exists() or target.is_symlink()):
        raise DigestError("not a file, where a generated Markdown page goes: move it away", target)
    temporary = staged_names(target)[0]
    try:
        if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        write_temporary(temporary, data)
    except OSError as error:
        # The page, not its temporary file, where the write failed.
        where = target if error.filename in (None, str(temporary)) else error.filename
        raise DigestError(f"could not write: {error.strerror or error}", where) from None
    return temporary


@contextmanager
def staged_committed(root: Path, staged: dict[str, Path], generated: set[str], *,
                     candidates: list[Path], its_own: Callable[[str, str], bool]) -> Iterator[None]:
    """Move staged text files into place and remove stale generated ones; then run the body (the
    site's swap).  All or nothing: if a move or removal fails, or the body raises, every file is
    put back as it was (each one replaced or removed is first kept aside under a hard link).

    A file among ``candidates`` that is not among the ``generated`` paths is
    removed only if its front matter has the line PAGE_MARKER (so
    hand-written files are never deleted) and ``its_own(path, front matter)``
    says the page is at the name digest gives it (not a copy the user made of
    it under another name); so is a folder below those (a topic's archive)
    that this leaves empty.
    """
    done: list[tuple[Path, Path | None]] = []  # each file changed, and where its old self is (None: it is new)
    try:
        try:
            for path, temporary in sorted(staged.items()):
                target = root / path
                done.append((target, _kept_aside(target)))
                try:
                    os.replace(temporary, target)
                except OSError as error:  # the page, not its temporary file
                    raise DigestError(f"could not write: {error.strerror or error}", target) from None
            for existing in candidates:
                relative = existing.relative_to(root).as_posix()
                front = _front_matter_lines(existing) if relative not in generated and existing.is_file() else []
                if PAGE_MARKER in front and its_own(relative, "\n".join(front)):
                    aside = _aside(existing)
                    os.replace(existing, aside)
                    done.append((existing, aside))
        except OSError as error:
            raise DigestError(f"could not write: {error.strerror or error}", error.filename or root) from None
        yield
    except BaseException:
        _undo(done)
        raise
    for target, aside in done:
        if aside is not None:
            with contextlib.suppress(OSError):
                aside.unlink()
        parent = target.parent
        if not target.exists() and parent.parent != root and parent.is_dir() and not any(parent.iterdir()):
            with contextlib.suppress(OSError):
                parent.rmdir()  # a topic's archive folder, not dates/ or topics/


#: The endings of the names beside a Markdown page that digest writes it through: the new page's
#: temporary file, and the old page, kept aside while the build that replaces it commits (see
#: ``staged_names``).
STAGED_ENDINGS = (".tmp", ".digest-old")


def _aside(target: Path) -> Path:
    """The name to keep ``target`` under while it is replaced or removed, freed of what a killed
    build left there (a file or link, whatever it holds: a copy cut short too)."""
    aside = staged_names(target)[1]
    _refuse_folder_at(aside, target)
    with contextlib.suppress(FileNotFoundError):
        aside.unlink()
    return aside


def staged_names(target: Path) -> tuple[Path, Path]:
    """The names digest uses beside a Markdown page while it writes it: the new page's temporary
    file, and the old page kept aside.  They are digest's: whatever file or link has them is
    replaced (a killed build leaves them, maybe empty or cut short)."""
    temporary, aside = (target.with_name(f".{target.name}{ending}") for ending in STAGED_ENDINGS)
    return temporary, aside


def _refuse_folder_at(name: Path, target: Path) -> None:
    """DigestError if a folder (of the user's: digest makes none there) has a name digest uses
    while it writes ``target``: replacing it would remove all it holds."""
    if name.is_dir() and not name.is_symlink():
        raise DigestError(f"in the way of {target.name}: a folder, where digest keeps a file while it writes "
                          f"that page; move it away", name)


def _undo(done: list[tuple[Path, Path | None]]) -> None:
    """Undo files moved into place, the last first: each new one removed where there was none
    before (None), else the old one put back from where it was kept aside."""
    for target, aside in reversed(done):
        with contextlib.suppress(OSError):
            if aside is None:
                target.unlink(missing_ok=True)
            elif _put_back(aside, target):
                aside.unlink(missing_ok=True)  # still there where both names were one file: rename does nothing


def _put_back(aside: Path, target: Path) -> bool:
    """Move the page kept aside back to ``target``; whether ``target`` now holds it (also where the
    move failed because ``target`` could not be replaced: it still holds the old page)."""
    try:
        os.replace(aside, target)
        return True
    except OSError:
        return filecmp.cmp(aside, target, shallow=False)


def _kept_aside(target: Path) -> Path | None:
    """A hard link to ``target`` beside it, to put it back from; None where there is no such file."""
    if not target.is_file():
        return None
    aside = _aside(target)
    try:
        os.link(target, aside)
    except OSError:  # no hard links on this file system
        shutil.copy2(target, aside)
    return aside


def refuse_own_page(target: Path) -> None:
    """DigestError if ``target`` is a file of the user's (its front matter has no line PAGE_MARKER)
    where a generated Markdown page goes, or a folder has a name digest uses while it writes the
    page (see ``staged_names``): they are never replaced, as they are never removed; or if the
    page's folder is a link (``LINKED_FOLDER``)."""
    if target.parent.is_symlink():  # a link to nowhere for a topic's archive (page_folder_problems sees others)
        raise DigestError(LINKED_FOLDER, target.parent)
    try:
        if target.is_file() and not _front_matter_has(target):
            raise DigestError(f"a page digest did not make (its front matter has no line '{PAGE_MARKER}'), where "
                              f"it writes a generated page: move or rename it", target)
        for used in staged_names(target):
            _refuse_folder_at(used, target)
    except OSError as error:
        raise DigestError(f"cannot read: {error.strerror or error}", target) from None


def pages_in_the_way(root: Path, paths: Iterable[str]) -> list[str]:
    """What ``refuse_own_page`` says of each of these Markdown pages of ``root`` it refuses (for
    ``digest check``, which lists every one, where a build stops at the first)."""
    problems = []
    for path in paths:
        try:
            refuse_own_page(root / path)
        except DigestError as error:
            problems.append(str(error))
    return problems


def left_by_a_build(paths: list[Path]) -> list[Path]:
    """Those of these files (named as a build stages pages) that a build left: a generated page,
    or an empty file (killed between making it and writing it; nothing is lost with it)."""
    left = []
    for path in paths:
        with contextlib.suppress(OSError):
            if path.stat().st_size == 0 or _front_matter_has(path):
                left.append(path)
    return left


def remove_left_by_a_build(paths: list[Path]) -> None:
    """Remove those of these files a build left (never a file of the user's)."""
    for path in left_by_a_build(paths):
        with contextlib.suppress(OSError):
            path.unlink()


#: How much of a file may be front matter: a generated page's is tens of KB (a day of a thousand
#: papers has some 80 KB); a file that has not ended its front matter by then is no generated page.
MAX_FRONT_MATTER = 16 * 1024 * 1024
_LINE_PART = 64 * 1024  #: a line is read in parts of this size where it is longer


def _front_matter_has(path: Path, line: str = PAGE_MARKER) -> bool:
    """Whether the text file begins with YAML front matter that has this line: a first line
    ``---``, and the line before the closing ``---`` (or ``...``) line; whatever the line ends,
    byte-order mark or trailing spaces (an editor's, or git's on Windows).  Read line by line,
    no further than the front matter (the file may be huge)."""
    return line in _front_matter_lines(path)


def _front_matter_lines(path: Path) -> list[str]:
    """The lines of the file's YAML front matter, right spaces taken off; none where it has none
    (or one longer than MAX_FRONT_MATTER, or with a line longer than _LINE_PART)."""
    lines, whole, read = [], True, 0
    with open(path, "rb") as stream:
        first = stream.readline(_LINE_PART)
        if not first.endswith(b"\n") or first.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n\t ") != b"---":
            return []
        while (text := stream.readline(_LINE_PART)) and read < MAX_FRONT_MATTER:
            read += len(text)
            starts, whole = whole, text.endswith(b"\n") or len(text) < _LINE_PART
            if not (starts and whole):
                continue  # a part of a long line: left out, and not the end
            text = text.rstrip()
            if text in (b"---", b"..."):
                return lines
            lines.append(text.decode("utf-8", "replace"))
    return []  # never closed: no front matter


def discard_staged(staged: dict[str, Path]) -> None:
    for temporary in staged.values():
        temporary.unlink(missing_ok=True)
