"""What a build reads before it decides anything: the snapshot files, the Markdown pages it
made last time, and one fingerprint of every input.

Kept apart from the rest of the build, and light to import, so that ``digest build`` can
tell that nothing changed (and return) before it loads the parsers, Jinja2 and feedgen.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from digest.cache import (MANIFEST, build_lock, cache_dir_for, code_version, editor_leftover, file_sha256,
                          folder_hash, key_of, manifest_unchanged, read_manifest, recorded_warnings, waiting_note)
from digest.errors import DigestError, strict_error
from digest.models import ParsedSnapshot
from digest.files import FILENAME_DATE_RE, MAX_SNAPSHOT_BYTES, SNAPSHOT_SUFFIXES, read_bounded, unprintable_name
from digest.output import LINKED_FOLDER, STAGED_ENDINGS, check_output_folder, left_by_a_build



def build_date(environ=os.environ) -> dt.date:
    """Today for the build (in UTC): from SOURCE_DATE_EPOCH when set, so builds are reproducible."""
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        # ASCII digits only, as the specification says (int() takes "０" and " 1_0 " too).
        if not re.fullmatch(r"-?[0-9]+", epoch):
            raise DigestError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}")
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            raise DigestError(f"SOURCE_DATE_EPOCH is out of range: {epoch[:40]!r} is not a second between "
                              f"the years 1 and 9999") from None
    return utc_today()


def utc_today() -> dt.date:
    """The machine's day in UTC, as SOURCE_DATE_EPOCH's: the site of one moment is the same in
    every time zone."""
    return dt.datetime.now(dt.timezone.utc).date()



def read_snapshot_bytes(path: Path, source: str) -> bytes:
    """A snapshot file's bytes (see ``read_bounded``)."""
    try:
        return read_bounded(path, MAX_SNAPSHOT_BYTES)
    except OSError as error:
        raise DigestError(f"cannot read: {error.strerror or error}", source) from None


def read_snapshot_file(path: Path, name: str | None = None) -> ParsedSnapshot:
    """Read and parse one snapshot file; ``name`` is how messages refer to it."""
    from digest.parse import parse_snapshot_bytes  # here: a build with nothing to do never loads the parsers

    source = name or str(path)
    return parse_snapshot_bytes(read_snapshot_bytes(path, source), source)


def snapshot_files(folder: Path) -> list[Path]:
    """The snapshot files of a content folder, in name order; hidden files are skipped.
    Raises the first problem ``snapshot_entries`` finds, if any."""
    files, problems = snapshot_entries(folder)
    if problems:
        raise problems[0]
    return files


def no_snapshots_warning(folder: Path) -> str:
    """What a build or check of a content folder without snapshots says: the site lists no day."""
    return f"{folder}: no snapshots yet, so the site lists no days; add one with: digest add FILE"


def unread_files(folder: Path) -> list[Path]:
    """The files of a snapshots folder that are not read as snapshots: not hidden, and not named
    like one (a page saved as .mhtml or .pdf, a backup ending in ~).  Each is a warning: a day
    saved in a form digest does not read would otherwise be missing without a word."""
    if not folder.is_dir():
        return []
    entries = sorted(folder.iterdir())
    # A page saved "complete" keeps its images in a folder beside it ("2026-01-19_files", or
    # "2026-01-19-Dateien" in some languages), which is part of that snapshot, not a stray.
    pages = {path.stem for path in entries if path.suffix.lower() in (".html", ".htm")}
    return [path for path in entries
            if not path.name.startswith(".") and path.suffix.lower() not in SNAPSHOT_SUFFIXES
            and not _saved_with_a_page(path, pages)]


#: The name of the folder a browser saves beside a complete page: the page's name, "_" or "-",
#: and one word ("files", "Dateien", "fichiers").
_SAVED_WITH_PAGE = re.compile(r"(?P<page>.+)[_-][^\W\d_]+")


def _saved_with_a_page(path: Path, pages: set[str]) -> bool:
    """Whether the path is the folder a browser saved beside one of these pages (by name, no suffix)."""
    found = _SAVED_WITH_PAGE.fullmatch(path.name)
    return found is not None and found["page"] in pages and _is_folder(path)


def _is_folder(path: Path) -> bool:
    """Whether the path is a folder; False where the file system cannot say (a link to a name
    too long for it): the entry is then named in a warning, not an error."""
    try:
        return path.is_dir()
    except OSError:
        return False


def misplaced_snapshots(content_dir: Path) -> list[Path]:
    """Snapshots saved beside the snapshots folder rather than in it: files of the content folder
    itself named by a day (``2026-01-19.txt``) or saved pages and API answers (any ``.html``,
    ``.htm`` or ``.json``), and any snapshot file but a Markdown page among the pages of
    ``dates/``.  None is read: each is a warning, as a stray of the snapshots folder is."""
    def named_by_a_day_or_saved_page(name: str) -> bool:
        return Path(name).suffix.lower() in (".html", ".htm", ".json") or FILENAME_DATE_RE.search(name) is not None

    found = []
    for folder, wanted in ((content_dir, named_by_a_day_or_saved_page),
                           (content_dir / "dates", lambda name: Path(name).suffix.lower() != ".md")):
        found += [folder / entry.name for entry in sorted(_entries(folder), key=_name)
                  if not entry.name.startswith(".") and Path(entry.name).suffix.lower() in SNAPSHOT_SUFFIXES
                  and wanted(entry.name) and _is_file_entry(entry)]
    return found


def _shown_path(path: Path) -> str:
    """A path for a warning: as it is, or escaped where its name holds what a terminal would act on."""
    return str(path) if path.name.isprintable() else ascii(str(path))


def misplaced_warning(path: Path) -> str:
    """What a build or check says of one of ``misplaced_snapshots``."""
    return (f"{_shown_path(path)}: not read: snapshots are read from the snapshots folder only; if it is one, "
            f"move it there (digest add FILE does)")


def unread_warning(path: Path) -> str:
    """What a build or check says of one of ``unread_files``."""
    shown = _shown_path(path)
    if _is_folder(path):
        return f"{shown}: a folder, not read: digest reads the snapshot files of the snapshots folder itself"
    return (f"{shown}: not read: snapshots are .txt, .md, .html, .htm or .json files; rename it, "
            f"or move it out of the snapshots folder")


def snapshot_entries(folder: Path) -> tuple[list[Path], list[DigestError]]:
    """The snapshot files of a content folder, in name order, and what is wrong with the entries
    named like snapshots that cannot be read as one: a name that is not printable, or a folder,
    a link to nothing, a named pipe where a file should be (each would otherwise be left out
    without a word)."""
    if not folder.is_dir():
        raise DigestError("no snapshots folder", folder)
    files: list[Path] = []
    problems: list[DigestError] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in SNAPSHOT_SUFFIXES:
            continue
        if problem := unprintable_name(path.name):
            problems.append(DigestError(f"{problem}: rename the file", ascii(str(path))))
        elif path.is_file():
            files.append(path)
        else:
            what = ("a folder" if path.is_dir() else "a link to nothing" if path.is_symlink() and not path.exists()
                    else "not a regular file")
            problems.append(DigestError(f"named like a snapshot, but {what}: move it away or rename it", path))
    return files, problems


def file_stamp(status: os.stat_result) -> list[int]:
    """What tells a file's bytes have not changed without reading them, as git does: its size,
    modification and change times and inode.  Not the modification time alone: a file edited and
    given its old time back (as archives and some tools do) has a new change time, which only
    the system sets."""
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


def scan_snapshots(content_dir: Path, recorded: Mapping[str, Sequence] | None = None
                   ) -> tuple[list[tuple[str, bytes | None]], tuple[tuple[str, str], ...], dict[str, list]]:
    """Every snapshot file with its bytes, its (name, sha256), and what to record of it for the
    next build ([sha256, *file_stamp], by name).  A file whose stamp is the ``recorded`` one is
    not read again: its bytes are None."""
    recorded = recorded or {}
    files: list[tuple[str, bytes | None]] = []
    sources: list[tuple[str, str]] = []
    record: dict[str, list] = {}
    for path in snapshot_files(content_dir / "snapshots"):
        source = str(path)
        try:
            status = path.stat()
        except OSError as error:
            raise DigestError(f"cannot read: {error.strerror}", source) from None
        known = recorded.get(path.name)
        stamp = file_stamp(status)
        if isinstance(known, list) and known[1:] == stamp:
            data, sha = None, known[0]
        else:
            data = read_snapshot_bytes(path, source)
            sha = hashlib.sha256(data).hexdigest()
        files.append((source, data))
        sources.append((path.name, sha))
        record[path.name] = [sha, *stamp]
    return files, tuple(sources), record


def with_bytes(files: Sequence[tuple[str, bytes | None]]) -> list[tuple[str, bytes]]:
    """The files with their bytes, read where ``scan_snapshots`` did not need to."""
    return [(source, data if data is not None else read_snapshot_bytes(Path(source), source)) for source, data in files]


def read_snapshots(content_dir: Path) -> list[tuple[str, bytes]]:
    """(name, bytes) of every snapshot file, in name order."""
    return [(str(path), read_snapshot_bytes(path, str(path))) for path in snapshot_files(content_dir / "snapshots")]


#: The content folder's folder of files published as they are, at the same paths in the site.
STATIC = "static"


def static_files(content_dir: Path, *, strict: bool = False, problems: list[DigestError] | None = None) -> list[Path]:
    """The files of the content folder's ``static/`` (hidden ones too: a .nojekyll, a
    .well-known/), in order, but what an editor leaves beside a file.  ``strict`` (the build's
    reading): a ``static`` that is no folder, a folder in it that cannot be read and a link to a
    folder (not followed: a loop would never end) are errors, not left out without a word; with
    ``problems``, each is added there and the rest read."""

    def fault(error: DigestError) -> None:
        if problems is None:
            raise error
        problems.append(error)

    folder = content_dir / STATIC
    if not folder.is_dir():
        if strict and (folder.exists() or folder.is_symlink()):
            fault(DigestError("not a folder: static/ holds files to publish as they are", folder))
        return []

    def unreadable(error: OSError) -> None:
        if strict:
            fault(DigestError(f"cannot read: {error.strerror or error}", error.filename or folder))

    found = []
    for root, folders, files in os.walk(folder, onerror=unreadable):
        for name in folders:
            if os.path.islink(os.path.join(root, name)):
                if strict:
                    fault(DigestError("a link to a folder, which digest does not follow: copy the folder, or link "
                                      "its files one by one", os.path.join(root, name)))
                else:
                    found.append(Path(root, name))  # a change to build for: the build tells what is wrong with it
        found += [Path(root, name) for name in files if not editor_leftover(name)]
    return sorted(found)


def fingerprint(content_dir: Path, salt: str, today: dt.date,
                sources: Sequence[tuple[str, str]] | None = None) -> str:
    """A hash of every input of a build: configuration, snapshots, and the salt (code, templates,
    options).  ``sources`` are (file name, sha256) of the snapshots when the caller has them already."""
    digest = hashlib.sha256(f"{salt}\0{today.isoformat()}".encode())
    for name in ("site.yaml", "topics.yaml"):
        path = content_dir / name
        digest.update(name.encode() + b"\0" + (bytes.fromhex(file_sha256(path)) if path.is_file() else b"-"))
    if sources is None:
        folder = content_dir / "snapshots"
        sources = snapshot_sources(read_snapshots(content_dir)) if folder.is_dir() else []
    for source, sha in sources:
        digest.update(Path(source).name.encode() + b"\0" + bytes.fromhex(sha))
    for path in unread_files(content_dir / "snapshots"):  # a warning each: a new one is a change
        digest.update(b"unread\0" + os.fsencode(path.name) + (b"/\0" if _is_folder(path) else b"\0"))
    for path in misplaced_snapshots(content_dir):
        digest.update(b"misplaced\0" + os.fsencode(path.relative_to(content_dir)) + b"\0")
    for path in static_files(content_dir):  # as git tells a change: by size, times and inode
        try:
            stamp = file_stamp(path.stat())
        except OSError:
            stamp = []  # a broken link, which the build refuses
        digest.update(b"static\0" + os.fsencode(path.relative_to(content_dir)) + repr(stamp).encode())
    return digest.hexdigest()


def snapshot_sources(files: Sequence[tuple[str, bytes]]) -> tuple[tuple[str, str], ...]:
    """(file name, sha256 of its bytes) of snapshot files."""
    return tuple((Path(source).name, hashlib.sha256(data).hexdigest()) for source, data in files)


def markdown_hashes(content_dir: Path, known: Mapping[str, Sequence] | None = None) -> dict[str, str]:
    """The sha256 of every Markdown page in content/dates and content/topics, by content-relative
    path.  ``known`` is what the last build recorded (path -> [sha256, *file_stamp]): a page whose
    stamp is the recorded one is not read again."""
    known = known or {}
    hashes = {}
    for path in markdown_page_files(content_dir):
        relative = path.relative_to(content_dir).as_posix()
        recorded = known.get(relative)
        if recorded is not None:
            if file_stamp(path.stat()) == list(recorded[1:]):
                hashes[relative] = recorded[0]
                continue
        hashes[relative] = file_sha256(path)
    return hashes


def markdown_record(content_dir: Path, hashes: Mapping[str, str]) -> dict[str, list]:
    """What the next build's ``markdown_hashes`` needs to know of the pages now there."""
    record = {}
    for path, sha in hashes.items():
        try:
            status = (content_dir / path).stat()
        except FileNotFoundError:
            continue
        record[path] = [sha, *file_stamp(status)]
    return record


_MARKDOWN_PAGES = ("dates/*.md", "topics/*.md", "topics/*/page-*.md")


#: What is wrong with something named like a Markdown page that is not a file.
NOT_A_PAGE = "not a file, named like a generated Markdown page: move it away"


FILE_FOR_FOLDER = "not a folder, where digest keeps its Markdown pages: move it away (digest makes the folder)"


def page_folder_problems(content_dir: Path) -> list[DigestError]:
    """What is wrong with the folders of Markdown pages (dates, topics and each topic's archive):
    a link (see ``LINKED_FOLDER``), or a file where the folder goes."""
    folders = [content_dir / "dates", content_dir / "topics"]
    if folders[1].is_dir() and not folders[1].is_symlink():
        folders += sorted(path for path in folders[1].iterdir() if path.is_dir())
    return [DigestError(LINKED_FOLDER if folder.is_symlink() else FILE_FOR_FOLDER, folder)
            for folder in folders if folder.is_symlink() or (folder.exists() and not folder.is_dir())]


def check_page_folders(content_dir: Path) -> None:
    """The first of ``page_folder_problems``, raised."""
    for problem in page_folder_problems(content_dir):
        raise problem


#: The temporary files the Markdown pages are staged in, and the old pages are kept aside in while
#: new ones are moved in (see digest.output.stage_text, staged_committed).
_STAGED_PAGES = tuple(f"{folder}.{name}.md{ending}" for ending in STAGED_ENDINGS
                      for folder, name in (("dates/", "*"), ("topics/", "*"), ("topics/*/", "page-*")))


def _named_like_pages(content_dir: Path, patterns: tuple[str, ...] = _MARKDOWN_PAGES) -> list[tuple[Path, bool]]:
    """What ``patterns`` name, as pathlib's glob finds it (links to folders followed, an
    unreadable folder left out), each folder's names sorted, and whether each is a file.  Listed
    with os.scandir, whose entries know a file from a folder without a stat each: a day's build
    lists the pages twice, about 2,000 of them at 1,000 days.  A folder is listed once for all
    the patterns of its names."""
    names: dict[str, list[str]] = {}  # the folder part of each pattern, in order -> the names it has
    for pattern in patterns:
        folder, _, name = pattern.rpartition("/")
        names.setdefault(folder, []).append(name)
    found = []
    for pattern, wanted in names.items():
        first, _, between = pattern.partition("/")
        folders = [content_dir / first]
        if between:
            folders = [folders[0] / entry.name for entry in sorted(_entries(folders[0]), key=_name)
                       if fnmatch.fnmatchcase(entry.name, between) and _is_folder_entry(entry)]
        for folder in folders:
            found += [(folder / entry.name, _is_file_entry(entry)) for entry in sorted(_entries(folder), key=_name)
                      if any(fnmatch.fnmatchcase(entry.name, name) for name in wanted)]
    return found


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:  # missing, no folder, unreadable, a link loop: pathlib's glob finds nothing there either
        return []


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _is_file_entry(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_folder_entry(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def markdown_page_files(content_dir: Path) -> list[Path]:
    """The Markdown pages a build may have made: days, topics, and topics' archive pages.
    Anything else named like one (a folder, a broken link, a named pipe) is an error, as in
    ``digest check``: a build may have to write there, and cannot read it; so is a folder of
    pages that is a link."""
    check_page_folders(content_dir)
    pages = _named_like_pages(content_dir)
    for path, is_file in pages:
        if not is_file:
            raise DigestError(NOT_A_PAGE, path)
    return [path for path, _ in pages]


def staged_page_files(content_dir: Path) -> list[Path]:
    """Files named like the temporary files Markdown pages are staged in: after a build, what a
    build that was killed left."""
    return [path for path, is_file in _named_like_pages(content_dir, _STAGED_PAGES) if is_file]


def markdown_page_obstacles(content_dir: Path) -> list[Path]:
    """What is named like a Markdown page but is not a file (a folder, a broken link, a named
    pipe): all of them, for ``digest check``."""
    return [path for path, is_file in _named_like_pages(content_dir) if not is_file]


def markdown_state(hashes: dict[str, str]) -> str:
    """One hash of all the Markdown pages, to notice edits and strays."""
    digest = hashlib.sha256()
    for path, sha in sorted(hashes.items()):
        digest.update(path.encode() + b"\0" + bytes.fromhex(sha))
    return digest.hexdigest()


def default_templates_dir() -> Path:
    """The templates shipped with digest: inside the package when installed, else the repository's."""
    packaged = Path(__file__).resolve().parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "templates"


def build_salt(search: bool) -> str:
    """What every cached output depends on besides the content: this digest, and the options."""
    return key_of(code_version(), search)


@dataclass(frozen=True)
class BuildInputs:
    """Every input of a build, read only as far as telling what changed needs."""

    files: list[tuple[str, bytes | None]] | None  #: snapshot files; bytes None where size and time are the last build's
    sources: tuple[tuple[str, str], ...] | None  #: (file name, sha256) of every snapshot
    snapshot_record: dict[str, list] | None  #: what the next build needs to know of the snapshots
    fingerprint: str  #: one hash of every input
    markdown_files: dict[str, str]  #: content-relative path -> sha256 of the Markdown pages there now

    @property
    def markdown_state(self) -> str:
        return markdown_state(self.markdown_files)


def read_inputs(content_dir: Path, salt: str, today: dt.date, previous: Mapping) -> BuildInputs:
    """The inputs of a build, reading again only the files that changed since the build that
    recorded ``previous`` (its manifest)."""
    files = sources = record = None
    if (content_dir / "snapshots").is_dir():
        files, sources, record = scan_snapshots(content_dir, previous.get("snapshots"))
    return BuildInputs(files, sources, record, fingerprint(content_dir, salt, today, sources),
                       markdown_hashes(content_dir, previous.get("markdown_files")))


@dataclass(frozen=True)
class Checked:
    """What ``check_inputs`` found, for the build that follows it: whether anything changed, and
    the inputs and manifest it compared, which the build need not read again as long as the
    manifest file is still the same one (``stamp``: no other build ran in between)."""

    unchanged: bool
    salt: str  #: the build salt and templates hash the fingerprint was made with
    today: dt.date
    inputs: BuildInputs
    previous: dict
    stamp: tuple[int, int, int]


def manifest_stamp(folder: Path) -> tuple[int, int, int] | None:
    """The manifest file's inode, modification time and size: a new manifest is a new file."""
    try:
        status = os.stat(folder / MANIFEST)
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


def check_inputs(content_dir: Path, out_dir: Path, templates_dir: Path | None = None, *, search: bool = True,
                 today: dt.date | None = None, warn: Callable[[str], None] | None = None) -> Checked | None:
    """Compare the inputs with the last build into ``out_dir``: ``unchanged`` when it had exactly
    these inputs and all its files are still there, so that building again would change nothing.
    None when there is no last build to compare with."""
    folder = cache_dir_for(out_dir)
    if not (folder / MANIFEST).is_file():
        return None
    check_output_folder(out_dir)
    with build_lock(folder, waiting_note(out_dir, warn)):
        stamp = manifest_stamp(folder)
        options = build_salt(search)
        previous = read_manifest(folder, options)
        salt = options + folder_hash(templates_dir or default_templates_dir())
        if not previous or stamp is None:
            return None
        today = today or build_date()
        inputs = read_inputs(content_dir, salt, today, previous)
        # Pages a killed build staged are a change: the build removes them.
        unchanged = (manifest_unchanged(previous, inputs.fingerprint, out_dir, inputs.markdown_state)
                     and not left_by_a_build(staged_page_files(content_dir)))
        return Checked(unchanged, salt, today, inputs, previous, stamp)


def repeat_warnings(manifest: dict, warn: Callable[[str], None] | None, strict: bool) -> None:
    """Give again the warnings of the last build, which had the same inputs; under ``strict``, fail
    with them, as that build would have."""
    warnings = recorded_warnings(manifest)
    for warning in warnings if warn else ():
        warn(warning)
    if strict and warnings:
        raise strict_error(len(warnings))
