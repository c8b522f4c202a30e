"""The build cache: what the last build read and wrote, so the next one redoes only what changed.

It lives beside the output folder (``.site.cache/`` for ``site/``) and holds:

- ``manifest.json``: the fingerprint of all inputs of the last build, and for
  every output file the key of its inputs, the hash of its bytes and its inode
  number (by which the next build knows the file in the spare folder, below);
  and the hash, size, times and inode of every snapshot and Markdown page,
  so that a file whose size, times and inode have not changed is not read again;
- ``parsed/``: parsed snapshots, by the hash of their bytes;
- ``topics.pickle``: topic matches, by paper text and topic rules, and
  ``topics-new.pickle``: the ones found by day's builds since (a day's build
  matches only its new papers, and does not rewrite all the others);
- ``fragments.pickle``: the HTML of the last build's feed entries, by what each is made of;
- ``templates/``: the templates compiled by Jinja2 (checked against their sources);
- ``search/``: for each search shard, the copies of its pages that Pagefind
  reads, kept so that a day's build copies only the pages it changed (see
  digest.search.update_copies);
- ``model.pickle``: the last build's model (digest.archive), which a day's
  build extends by the new days instead of making it again;
- ``site.listing``, ``spare.listing``: the files and folders of the live site
  and of the spare folder when the builds that made them were over (see
  digest.output.FolderListing), so that the next build lists only the
  folders of the spare that changed since;
- ``lock``: locked by the build using the cache, so that a second build into
  the same output folder waits for the first;
- ``site/``: the site before the current one, left there by the last swap;
  the next build updates it into the new site (mostly hard links to the
  current site's files) and swaps it in.

Every key includes the code version and the templates, so a new digest or an
edited template never reuses stale output.  Deleting the folder, or
``digest build --clean``, gives a full build; the result is the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pickle
import re
import shutil
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from digest import __version__
from digest.errors import DigestError
from digest.files import open_saved, read_now
from digest.output import (MARKER, FolderListing, listed_files, lock_or_wait, open_temporary, own_folder,
                           parent_folders, remove_entry, remove_temporary, resolved_folder, write_temporary)

MANIFEST = "manifest.json"

MODEL = "model.pickle"
FRAGMENTS = "fragments.pickle"
TOPICS = "topics.pickle"  #: topic matches, as the last build that made the whole model left them
NEW_TOPICS = "topics-new.pickle"  #: matches found by day's builds since then (appended, not rewritten)
SITE_LISTING = "site.listing"  #: what the live site folder held when the last build was over
SPARE_LISTING = "spare.listing"  #: the same of the spare folder (the site before the last)
LOCK = "lock"  #: held by the build using the cache
#: What marks the folder as a cache, for backup tools too (https://bford.info/cachedir/), and as digest's:
#: a folder of that name without it (nor a lock, as a cache made before it has) is someone else's.
TAG = "CACHEDIR.TAG"
TAG_TEXT = ("Signature: 8a477f597d28d172789f06886806bc55\n"
            "# This file is a cache directory tag created by digest: the build cache of the site beside it.\n")
FORMAT = 5  #: bumped when the cache layout changes

#: What ends every record the build pickles into its cache (and every compiled template): this
#: mark, then the CRC-32 of all before it in 8 hex digits.  A record damaged on the disk (a bit
#: flipped) mostly still unpickles, as other text or another number, and would be used: with a
#: checksum that does not match it is no record, and its work is done again.
SEAL = b"\ndigest-crc32:"


def write_sealed(temporary: Path, write: Callable[[Any], None]) -> None:
    """A new file at ``temporary`` (see digest.output.open_temporary): what ``write`` writes into
    the file object it is given, then the seal of it (see SEAL)."""
    with open_temporary(temporary) as stream:  # removed if the write fails
        sealed = _SealedWriter(stream)
        write(sealed)
        sealed.seal()


class _SealedWriter:
    """A file being written that keeps the CRC-32 of what goes into it, and ``seal()`` writes it."""

    def __init__(self, stream: BinaryIO):
        self.stream, self.crc = stream, 0

    def write(self, data) -> int:
        self.crc = zlib.crc32(data, self.crc)
        return self.stream.write(data)

    def seal(self) -> None:
        self.stream.write(SEAL + b"%08x" % self.crc)


def read_sealed(path: Path) -> memoryview | None:
    """What a file written by ``write_sealed`` holds, without its seal; None when it is missing,
    cannot be read, or is not as it was written."""
    try:
        with open_saved(path) as stream:
            data = stream.read()
    except OSError:
        return None
    end = len(data) - len(SEAL) - 8
    if end < 0 or data[end:end + len(SEAL)] != SEAL:
        return None
    body = memoryview(data)[:end]
    return body if b"%08x" % zlib.crc32(body) == data[-8:] else None


def _unpickled_record(path: Path) -> Any | None:
    """The record pickled and sealed at ``path``, or None where there is none that reads."""
    body = read_sealed(path)
    if body is None:
        return None
    try:
        return pickle.loads(body)
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, ImportError, IndexError,
            KeyError):
        return None


#: The libraries whose code shapes digest's output (pages, feeds, e-mails, the search index):
#: module -> the distribution that installs it, as its .dist-info folder names it (lowercased).
OUTPUT_LIBRARIES = {
    "jinja2": "jinja2", "markupsafe": "markupsafe", "markdown_it": "markdown_it_py", "mdurl": "mdurl",
    "bs4": "beautifulsoup4", "soupsieve": "soupsieve", "lxml": "lxml", "yaml": "pyyaml", "feedgen": "feedgen",
    "dateutil": "python_dateutil", "idna": "idna", "slugify": "python_slugify", "text_unidecode": "text_unidecode",
    "css_inline": "css_inline", "pagefind": "pagefind", "pagefind_bin": "pagefind_bin",
}


@lru_cache(maxsize=1)
def code_version() -> str:
    """digest's version plus a hash of its source, so that any code change invalidates the cache,
    and of the code it builds with (see ``library_versions``)."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    digest.update(repr(library_versions()).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def library_versions() -> tuple:
    """What tells the Python and libraries a build runs with from others, without importing
    them: Python's version, where each of OUTPUT_LIBRARIES is found, and the names of their
    distributions' .dist-info folders (``Jinja2-3.1.4.dist-info``: a name holds the version),
    so that an upgrade, or another environment, makes the cache's outputs stale (and installing
    another package does not)."""
    found, folders = [], set()
    for name in OUTPUT_LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec else None
        found.append(origin)
        if origin and os.path.isabs(origin):  # the folder it was installed into (a package is a folder there)
            folders.add(os.path.dirname(os.path.dirname(origin) if spec.submodule_search_locations else origin))
    distributions = set(OUTPUT_LIBRARIES.values())
    installed = set()
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        installed.update(name for name in names if name.endswith((".dist-info", ".egg-info"))
                         and name.partition("-")[0].lower().replace(".", "_") in distributions)
    return sys.version, tuple(found), tuple(sorted(installed))


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in blocks: a file of gigabytes is hashed, not held.
    A named pipe, device or socket is refused (it would make digest wait, or read for ever)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(descriptor, "rb") as stream:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise DigestError("not a regular file", path)
            digest = hashlib.sha256()
            while block := read_now(stream, 1 << 20):  # hashlib.file_digest spins on /proc/kmsg
                digest.update(block)
            return digest.hexdigest()
    except OSError as error:
        raise DigestError(f"cannot read: {error.strerror or error}", path) from None


#: What an editor or a file manager leaves beside the files being edited: Emacs's lock link
#: (.#name) and autosave (#name#), a backup (name~), macOS's and Windows's folder files, Vim's
#: swap files (.swp, then .swo, … on to .swa: not on to .svz, which would take a hidden .svg),
#: LibreOffice's lock files.  (Vim's write test, "4913", lives for an instant, and a file may be
#: named so.)
_LEFTOVER_RE = re.compile(r"^\.#|^#.*#$|~$|^\.DS_Store$|^Thumbs\.db$|^desktop\.ini$|^\..*\.sw[a-z]$"
                          r"|^\.~lock\..*#$")


def editor_leftover(name: str) -> bool:
    """Whether a file's name (its last part) is an editor's or a file manager's leftover."""
    return bool(_LEFTOVER_RE.search(name))


def hidden_template_name(name: str) -> bool:
    """Whether a file of the templates folder (by its name there) is hidden: an editor's or a file
    manager's leftover (``editor_leftover``) anywhere, and outside ``assets/``, which is copied
    whole (a .htaccess too), any hidden file.  Such a file is no template nor asset, and no
    input of the build."""
    parts = [part for part in name.split("/") if part not in ("", ".")]  # "./base.html" is base.html, as for Jinja2
    if parts and editor_leftover(parts[-1]):
        return True
    return parts[:1] != ["assets"] and any(part.startswith(".") and part != ".." for part in parts)


def folder_hash(folder: Path) -> str:
    """A hash of every file's name and bytes under a templates folder, as the build reads them:
    links to folders inside are not followed (as Jinja2 lists templates), but ``assets/``, which
    the build copies whole, is read through a link (a shared folder of assets).  Hidden files
    and editors' leftovers are no templates nor assets (``hidden_template_name``): an editor's
    swap file or a .DS_Store coming and going is no change.  What is neither a file nor a folder
    (a named pipe, a device, a broken link), which the build refuses, counts by its name."""
    digest = hashlib.sha256()
    if folder.is_dir():
        files = [p for p in folder.rglob("*") if not p.is_dir()]
        assets = folder / "assets"
        if assets.is_symlink() and assets.is_dir():
            files += [p for p in assets.rglob("*") if not p.is_dir()]
        files = [p for p in files if not hidden_template_name(p.relative_to(folder).as_posix())]
        for path in sorted(files):
            # A name as the file system has it (os.fsencode): one that is not UTF-8 is a name too.
            digest.update(os.fsencode(path.relative_to(folder).as_posix()) + b"\0")
            digest.update(bytes.fromhex(file_sha256(path)) if path.is_file() else b"not a file")
    return digest.hexdigest()


def key_of(*parts: Any) -> str:
    """A key for a piece of output from everything it is made of (frozen dataclasses, dicts, text)."""
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


@contextmanager
def build_lock(folder: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """One build at a time with this cache folder (and the spare site in it): a second build into
    the same output folder, such as ``digest build`` while ``digest serve`` rebuilds, waits,
    calling ``waiting`` first.  A first build that fails leaves no cache folder behind (nor
    anything else)."""
    if folder.is_symlink():  # a build writes and removes files there: never wherever a link leads
        raise DigestError("cannot use the build cache: it is a link; move it away, or choose another --out", folder)
    made = not folder.exists()
    lock = folder / LOCK
    try:
        if not made and folder.is_dir() and not (os.path.lexists(folder / TAG) or os.path.lexists(lock)) \
                and any(folder.iterdir()):
            raise DigestError(f"cannot use the build cache: this folder of the cache's name holds files, and no "
                              f"{TAG} says it is a build cache of digest's; move it away, or choose another --out",
                              folder)
        folder.mkdir(parents=True, exist_ok=True)
        tag = folder / TAG
        if tag.is_symlink() or not tag.is_file():
            write_temporary(tag, TAG_TEXT.encode("ascii"))
        # Never a file wherever a link leads, nor a named pipe (opening one waits for a reader).
        if os.path.lexists(lock) and not stat.S_ISREG(os.lstat(lock).st_mode):
            remove_entry(lock)
        flags = (os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_CLOEXEC", 0))
        handle = open(os.open(lock, flags, 0o666), "a")
    except OSError as error:
        if folder.exists() and not folder.is_dir():
            raise DigestError("cannot use the build cache: it is not a folder; move it away, or choose another --out",
                              folder) from None
        raise DigestError(f"cannot use the build cache: {error.strerror or error}", folder) from None
    with handle:
        lock_or_wait(handle, waiting, lock)  # released when the file is closed, or the process ends
        try:
            yield
        except BaseException:
            if made and not (folder / MANIFEST).exists():
                shutil.rmtree(folder, ignore_errors=True)
            raise


def waiting_note(out_dir: Path, warn: Callable[[str], None] | None) -> Callable[[], None] | None:
    """``build_lock``'s ``waiting`` for a build into ``out_dir`` that tells with ``warn``."""
    if warn is None:
        return None
    return lambda: warn(f"{out_dir}: another build of this folder is running; waiting for it to finish")


def read_manifest(folder: Path, salt: str) -> dict:
    """The last build's manifest in this cache folder, if it was made with this salt; else empty."""
    try:
        with open_saved(folder / MANIFEST) as stream:
            previous = json.loads(stream.read().decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return previous if isinstance(previous, dict) and previous.get("format") == FORMAT \
        and previous.get("salt") == salt and _well_formed(previous) else {}


_SHA256 = re.compile("[0-9a-f]{64}")


def _well_formed(manifest: dict) -> bool:
    """Whether every part of a manifest the build reads has the shape a build writes: one
    damaged by hand or by the disk is no manifest (a full build), not an error in every build."""
    def table(name: str, entry: Callable[[Any], bool]) -> bool:
        value = manifest.get(name, {})
        return isinstance(value, dict) and all(type(key) is str and entry(item) for key, item in value.items())

    def stamped(item: Any) -> bool:  # [sha256, *inputs.file_stamp]: size, times, inode
        return (type(item) is list and len(item) == 5 and type(item[0]) is str and _SHA256.fullmatch(item[0])
                is not None and all(type(number) is int for number in item[1:]))

    return (all(type(manifest.get(name, "")) is str for name in ("fingerprint", "templates", "markdown_state"))
            and table("outputs", lambda item: type(item) is list and len(item) == 3 and type(item[0]) is str
                      and type(item[1]) is str and type(item[2]) is int)
            and table("markdown", lambda item: type(item) is list and len(item) == 2
                      and type(item[0]) is str and type(item[1]) is str)
            and table("shards", lambda item: type(item) is str)
            and table("markdown_files", stamped) and table("snapshots", stamped)
            and type(warnings := manifest.get("warnings", [])) is list and all(type(w) is str for w in warnings))


def recorded_warnings(manifest: dict) -> list[str]:
    """The warnings of the build a manifest records: a build that finds nothing changed gives them
    again (and fails with them under --strict), as the build it stands for did."""
    return manifest.get("warnings", [])


def manifest_unchanged(previous: dict, fingerprint: str, out_dir: Path, markdown_state: str) -> bool:
    """Whether the build that wrote ``previous`` had exactly these inputs, left the Markdown pages
    in this state (none edited, removed or added since), and the site folder holds just the files
    it wrote: none removed, replaced (an editor saves a new file: a new inode) or added.  A file
    edited in place is not seen (see README)."""
    if previous.get("fingerprint") != fingerprint or previous.get("markdown_state") != markdown_state:
        return False
    files = previous.get("outputs", {})
    listed = listed_files(out_dir) if files else None
    if listed is None:
        return False
    found, folders = listed
    found.pop(MARKER, None)
    return (len(found) == len(files) and all(found.get(path) == entry[2] for path, entry in files.items())
            and folders == parent_folders(files))


#: The longest name of a file or folder on Linux's file systems, in bytes.
NAME_MAX = 255


def cache_dir_for(out_dir: Path) -> Path:
    """The build cache kept beside an output folder; DigestError where there can be none: the
    folder's name too long to make the cache's from, or a file where its parent folder should be."""
    out_dir = resolved_folder(out_dir)
    cache = out_dir.parent / f".{out_dir.name}.cache"
    length = len(os.fsencode(cache.name))
    if length > NAME_MAX:
        raise DigestError(f"the output folder's name is too long: the build cache beside it, .NAME.cache, would "
                          f"have a name of {length} bytes, over the {NAME_MAX} a file system takes; choose a "
                          f"shorter --out", out_dir)
    blocking = next((folder for folder in reversed(out_dir.parents) if folder.exists() and not folder.is_dir()), None)
    if blocking is not None:
        raise DigestError(f"cannot build into {out_dir}: {blocking} is a file, not a folder; choose another --out")
    return cache


@dataclass
class BuildCache:
    """The last build's record, and what this build records for the next one."""

    folder: Path
    salt: str = ""  #: code version and options: a cache made with another salt is not used at all
    templates: str = ""  #: hash of the templates: part of the keys of rendered output (see digest.keys)
    previous: dict = field(default_factory=dict)
    outputs: dict[str, list] = field(default_factory=dict)  #: path -> [key, sha256, inode], this build
    _topic_matches: dict[str, Any] | None = None  #: read when first asked for (see topic_matches)
    used_matches: set[str] = field(default_factory=set)
    new_matches: dict[str, Any] = field(default_factory=dict)  #: found by this build
    fragments: dict[str, str] = field(default_factory=dict)  #: key -> HTML of the last build's feed entries
    used_fragments: dict[str, str] = field(default_factory=dict)  #: what this build used: the next one's
    #: Whether saving drops parsed snapshots and topic matches this build did not use: not when
    #: the model was extended, which leaves the older snapshots and papers alone.
    pruning: bool = True
    _used_parsed: set[str] = field(default_factory=set)
    _new_parsed: dict[str, Any] = field(default_factory=dict)
    #: What ``save`` puts in place besides the manifest: names of files pickled aside, the model
    #: first (see ``pickle_ahead``, ``pickle_model``).
    ready: list[str] | None = None

    @classmethod
    def load(cls, folder: Path, salt: str, templates: str = "", *, clean: bool = False,
             manifest: dict | None = None) -> "BuildCache":
        """The cache in ``folder``; ``manifest`` is its manifest when the caller has read it already."""
        cache = cls(folder=folder, salt=salt, templates=templates)
        if clean:
            for entry in folder.iterdir() if folder.is_dir() else ():
                # The spare site stays: nothing in it is trusted, every file is checked when it is reused.
                if entry.name in (cache.spare_site.name, LOCK, TAG):
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
            cache._topic_matches = {}
            return cache
        cache.previous = manifest if manifest is not None else read_manifest(folder, salt)
        fragments = cache._unpickled(FRAGMENTS)
        cache.fragments = fragments if isinstance(fragments, dict) else {}
        return cache

    @property
    def topic_matches(self) -> dict[str, Any]:
        """Topic matches of earlier builds and this one, by paper text and rules: read from the
        cache only when first asked for (a day's build matches its new papers without them)."""
        if self._topic_matches is None:
            self._topic_matches = {}
            for name in (TOPICS, NEW_TOPICS):
                found = self._unpickled(name)
                if isinstance(found, dict):
                    self._topic_matches.update(found)
        return self._topic_matches

    def remember_matches(self, found: dict[str, Any]) -> None:
        """Keep topic matches made by this build for later ones."""
        self.new_matches.update(found)
        if self._topic_matches is not None:
            self._topic_matches.update(found)

    @property
    def spare_site(self) -> Path:
        """The folder holding the site before the current one, which the next build updates into the new site."""
        return self.folder / "site"

    # --- whole build ---------------------------------------------------------------------------

    def unchanged(self, fingerprint: str, out_dir: Path, markdown_state: str) -> bool:
        """Whether the last build had exactly these inputs (see ``manifest_unchanged``)."""
        return manifest_unchanged(self.previous, fingerprint, out_dir, markdown_state)

    # --- parsed snapshots ------------------------------------------------------------------------

    def _parsed_name(self, data: bytes, source: str) -> str:
        return hashlib.sha256(self.salt.encode() + source.encode("utf-8", "surrogateescape") + b"\0" + data).hexdigest()

    def parsed(self, data: bytes, source: str) -> Any | None:
        """The parsed snapshot of these bytes from an earlier build, or None."""
        name = self._parsed_name(data, source)
        self._used_parsed.add(name)
        return _unpickled_record(self.folder / "parsed" / f"{name}.pickle")

    def remember_parsed(self, data: bytes, source: str, result: Any) -> None:
        """Keep a newly parsed snapshot (written by save(), once the build has succeeded)."""
        name = self._parsed_name(data, source)
        self._used_parsed.add(name)
        self._new_parsed[name] = result

    # --- rendered fragments ---------------------------------------------------------------------------

    def fragment(self, key: str, make) -> str:
        """The text the last build made from what ``key`` says, or ``make()``'s; kept for the next build."""
        text = self.fragments.get(key) if key else None
        if text is None:
            text = make()
        if key:
            self.used_fragments[key] = text
        return text

    # --- the model ---------------------------------------------------------------------------------

    def _unpickled(self, name: str) -> Any | None:
        return _unpickled_record(self.folder / name)

    def _put_in_place(self, name: str) -> None:
        """Rename the temporary file of ``name`` over it: a file there is never half written."""
        try:
            os.replace(self.folder / f"{name}.tmp", self.folder / name)
        except IsADirectoryError:  # a folder in its way, which no build made: the cache would never be saved
            remove_entry(self.folder / name)
            os.replace(self.folder / f"{name}.tmp", self.folder / name)

    def model_record(self) -> Any | None:
        """What the last build saved of its model (see digest.archive), or None."""
        return self._unpickled(MODEL)

    def forget_last_build(self) -> None:
        """Remove the last build's manifest, before the site changes: were this build's manifest
        not saved (see ``save``), the last one would describe the old site, and the next build
        reuse the files it lists for other inputs (a stale site until --clean).  Without one, the
        next build only starts afresh.  DigestError where it cannot be removed: the build then
        stops before the site changes."""
        try:
            if os.path.lexists(self.folder / MANIFEST):
                remove_entry(self.folder / MANIFEST)
        except OSError as error:
            raise DigestError(f"cannot update the build cache's record ({error.strerror or error}): make it "
                              f"writable, or remove the cache folder", self.folder / MANIFEST) from None

    def spare_listing(self) -> Any | None:
        """What the build that made the spare folder recorded of it (a FolderListing), or None."""
        listing = self._unpickled(SPARE_LISTING)
        return listing if isinstance(listing, FolderListing) else None

    # --- output files ----------------------------------------------------------------------------

    def recorded_key(self, path: str) -> str | None:
        """The key of the inputs the last build made ``path`` from, if it made it."""
        entry = self.previous.get("outputs", {}).get(path)
        return entry[0] if entry else None

    def pickle_ahead(self) -> None:
        """Pickle now, into temporary files, what ``save`` will put in place besides the model:
        topic matches, feed entries and newly parsed snapshots.  Called while the build waits
        for the search index, it takes that time off the end of the build; written to files
        as they are pickled, they take no memory while Pagefind runs.  Everything it pickles
        must be final: call it once nothing more is parsed, matched or rendered."""
        ready: list[str] = []
        try:
            own_folder(self.folder / "parsed")
            if self.pruning:
                ready.append(self._pickle_aside(TOPICS, {k: v for k, v in self.topic_matches.items()
                                                         if k in self.used_matches}))
            elif self.new_matches:
                earlier = self._unpickled(NEW_TOPICS)
                ready.append(self._pickle_aside(NEW_TOPICS, {**(earlier if isinstance(earlier, dict) else {}),
                                                             **self.new_matches}))
            ready.append(self._pickle_aside(FRAGMENTS, self.used_fragments))
            for name, result in self._new_parsed.items():
                ready.append(self._pickle_aside(f"parsed/{name}.pickle", result))
        except OSError:  # a cache that cannot be written only costs time next time
            for name in ready:
                remove_temporary(self.folder / f"{name}.tmp")
            ready = []
        self.ready = ready

    def pickle_model(self, record: Any) -> None:
        """Pickle the model's record (see digest.archive) into its temporary file, for ``save``
        to put in place first, after ``pickle_ahead``."""
        assert self.ready is not None
        try:
            self.ready.insert(0, self._pickle_aside(MODEL, record))
        except OSError:
            pass  # a cache that cannot be written only costs time next time

    def _pickle_aside(self, name: str, value: Any) -> str:
        """Pickle ``value`` into the temporary file of ``name`` (see ``save``); returns ``name``."""
        write_sealed(self.folder / f"{name}.tmp",
                     lambda stream: pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL))
        return name

    def save(self, fingerprint: str, markdown: dict[str, list[str]], markdown_state: str = "", *,
             shards: dict[str, str] | None = None,
             markdown_files: dict[str, list] | None = None, snapshots: dict[str, list] | None = None,
             listing: Any = None, warnings: list[str] | None = None) -> None:
        """Record this build (call it only after the build succeeded, and after ``pickle_ahead``
        and ``pickle_model``): the manifest, and what they pickled; drop parsed snapshots no
        longer used (unless ``pruning`` is off)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # The model first: a manifest without its model costs a full model next time, the other
            # way round a stale model could be taken for this build's.
            if os.path.lexists(self.folder / MODEL):
                remove_entry(self.folder / MODEL)  # a folder too
            # The swap made the live site the spare folder: its listing goes with it (over whatever
            # is in its way: a folder there, which no build made, would stop every save).
            if os.path.isdir(self.folder / SPARE_LISTING):
                remove_entry(self.folder / SPARE_LISTING)
            try:
                os.replace(self.folder / SITE_LISTING, self.folder / SPARE_LISTING)
            except FileNotFoundError:
                (self.folder / SPARE_LISTING).unlink(missing_ok=True)
            if listing is not None:
                self._put_in_place(self._pickle_aside(SITE_LISTING, listing))
            manifest = {"format": FORMAT, "salt": self.salt, "templates": self.templates, "fingerprint": fingerprint,
                        "outputs": self.outputs, "markdown": markdown, "shards": shards or {},
                        "markdown_state": markdown_state, "markdown_files": markdown_files or {},
                        "snapshots": snapshots or {}, "warnings": warnings or []}
            write_temporary(self.folder / f"{MANIFEST}.tmp", json.dumps(manifest, sort_keys=True).encode("utf-8"))
            self._put_in_place(MANIFEST)
            for name in self.ready or ():  # the model first (see above)
                self._put_in_place(name)
            if self.pruning:
                (self.folder / NEW_TOPICS).unlink(missing_ok=True)
                for stale in (self.folder / "parsed").glob("*.pickle"):
                    if stale.stem not in self._used_parsed:
                        stale.unlink()
        except OSError:
            pass  # a cache that cannot be written only costs time next time
