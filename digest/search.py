"""Full-text search with Pagefind: an index of the paper pages, served as static files.

Pagefind cannot add pages to an existing index, so the index is split into
shards by the month a paper was first seen, and the search page merges them
in the browser (Pagefind's ``mergeIndex``).  A new day changes only the
shards of the papers it touched, usually just the newest one; the others are
the previous build's files.  The newest shard is the main bundle, at
``pagefind/`` with the search UI; older months are at ``pagefind/YYYY-MM/``
and hold only index files.

Each shard is indexed by the Pagefind binary from the paper pages of the new
site folder (see ``SearchIndexing``) while the build makes its other files;
the index files are then linked into the build's output, so they land in the
site with the same all-or-nothing swap as every other file.  Only elements
marked ``data-pagefind-body`` (the paper pages' article) are indexed, so
every result is a paper.
"""

from __future__ import annotations

import hashlib
import json
import os
from html.parser import HTMLParser
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from digest.errors import DigestError
from digest.files import open_saved
from digest.output import own_folder, remove_entry, write_temporary

BUNDLE = "pagefind"
#: What a merged (not main) bundle keeps: the browser loads these from each index it merges
#: (with the WebAssembly of the index's language); the scripts and styles come from the main bundle.
_INDEX_FILES = (".json", ".pf_meta", ".pf_index", ".pf_fragment", ".pf_filter")


#: The element of a page that Pagefind indexes (see paper.html); its text cannot hold "</article>",
#: which is escaped like all text.
_BODY = re.compile(rb"<article\b[^>]*\bdata-pagefind-body\b[^>]*>.*?</article>", re.S)


class _HtmlStartTag(HTMLParser):
    """Whether a page has an html element's start tag, as an HTML parser reads it (not in a
    comment, a script or a string)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.found = self.found or tag == "html"


def _indexed_element(data: bytes) -> bytes | None:
    """The page's one ``data-pagefind-body`` element, the part Pagefind indexes; None where the page
    has no single such element (templates of one's own): Pagefind then reads the whole page."""
    found = _BODY.findall(data)
    return found[0] if len(found) == 1 and found[0].count(b"<article") == 1 else None


def check_indexable(page: str, template: str) -> None:
    """DigestError, naming the ``template`` that made it, if Pagefind would skip a paper page
    (``page``): one read whole (see indexable_copy) without an html start tag, which HTML lets
    a page leave out; with no page to index, Pagefind fails with a message that names none."""
    if _indexed_element(page.encode("utf-8")) is not None:
        return  # given to Pagefind in a document of digest's own
    parser = _HtmlStartTag()
    parser.feed(page)
    if not parser.found:
        raise DigestError("the paper pages have no <html> start tag, without which the search index (Pagefind) "
                          "skips them: add one, or build with --no-search", template)


def indexable_copy(page: Path, copy: Path) -> None:
    """Give Pagefind what it indexes of a page: its ``data-pagefind-body`` element alone, in an
    otherwise empty document, which is a third less work for Pagefind than the whole page and
    gives the same results.  Where the page has no single such element (templates of one's
    own), Pagefind reads the whole page, through a hard link."""
    element = _indexed_element(page.read_bytes())
    if element is not None:
        try:
            copy.write_bytes(b'<!DOCTYPE html><html><head><meta charset="utf-8"><title></title></head><body>'
                             + element + b"</body></html>\n")
        except OSError as error:  # a full disk: the write's error names no file
            raise DigestError(f"could not write the copy of a page for the search index: "
                              f"{error.strerror or error}", copy) from None
        return
    try:
        os.link(page, copy)
    except OSError:
        shutil.copyfile(page, copy)


def copy_name(page: str) -> str:
    """The name of a page's copy for Pagefind: "papers/<slug>/index.html" -> "papers_<slug>.html",
    unique, and the same every build (fragment files are named by their content, which holds this name)."""
    return page.removesuffix("/index.html").replace("/", "_") + ".html"


def update_copies(folder: Path, site: Path, pages: dict[str, str], version: str) -> None:
    """Make ``folder`` hold the copies (see ``indexable_copy``) of the pages under ``site`` given
    with the sha256 of their bytes (``pages``), and nothing else.

    A copy depends only on its page's bytes, so a copy this version of digest made of a page
    whose sha256 is the same is kept, as the record beside the folder (``<folder>.json``) says:
    a day's build copies the pages it changed, not the hundreds of its month.  The record is
    removed before the folder is touched and written again once it is as the record says, so a
    build stopped half-way leaves no record, and the next one copies every page again.  A copy
    is never written into (the copy of a page given whole is a hard link to the site's file).

    Pagefind numbers pages in the order the file system lists them, and some file systems
    (tmpfs, btrfs) list a folder in the order its entries were made.  So a folder that changes
    is made anew, its entries in the order of their names, the kept copies moved into it: it
    lists as the folder a clean build makes does, and the index is the same."""
    record_path = folder.with_name(folder.name + ".json")
    try:
        with open_saved(record_path) as stream:
            record = json.loads(stream.read().decode("utf-8"))
        copies = record.get("copies") if record.get("version") == version else None
    except (OSError, ValueError, AttributeError):
        copies = None
    copies = copies if isinstance(copies, dict) else {}
    record_path.unlink(missing_ok=True)
    own_folder(folder)
    wanted = {copy_name(page): (page, sha256) for page, sha256 in pages.items()}
    with os.scandir(folder) as entries:
        present = {entry.name for entry in entries}
    kept = {name for name in present & wanted.keys() if copies.get(name) == wanted[name][1]}
    if kept != present or kept != wanted.keys():
        new = folder.with_name(folder.name + ".new")
        if os.path.lexists(new):
            remove_entry(new)
        new.mkdir()
        for name in sorted(wanted):
            if name in kept:
                os.rename(folder / name, new / name)
            else:
                page, _ = wanted[name]
                indexable_copy(site / page, new / name)
        remove_entry(folder)
        os.rename(new, folder)
    made = {name: sha256 for name, (_, sha256) in sorted(wanted.items())}
    write_temporary(record_path, json.dumps({"version": version, "copies": made}, sort_keys=True).encode("utf-8"))


#: A folder in memory (tmpfs), for what Pagefind writes in a day's build (see SearchIndexing): on
#: the benchmark's disk, Pagefind took 0.76 s for a shard of 460 pages writing beside the site, and
#: 0.54 s writing there.
MEMORY = Path("/dev/shm")
#: Room in memory asked for each page to index: four times what Pagefind writes for one (a bundle
#: of 389 pages at 1,000 days is 2.5 MB).
_ROOM_A_PAGE = 4 * 16 * 1024


def _room_in_memory(pages: int) -> bool:
    """Whether ``MEMORY`` is a folder this process can write, with room for Pagefind's files."""
    try:
        status = os.statvfs(MEMORY)
    except OSError:
        return False
    return os.access(MEMORY, os.W_OK | os.X_OK) and status.f_bavail * status.f_frsize >= pages * _ROOM_A_PAGE


def _remove_leftovers(folder: Path, prefix: str) -> None:
    """Remove the folders in ``folder`` named with ``prefix`` that this user made: what killed
    builds left (a build with the cache these names are of runs alone)."""
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.getuid():
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue


def copies_folder(bundle: str) -> str:
    """The name of the folder of a bundle's copies: its month, or "newest" for the main bundle."""
    return bundle.removeprefix(BUNDLE).strip("/") or "newest"


def prune_copies(folder: Path, bundles: Iterable[str]) -> None:
    """Remove from ``folder`` the copies (and records) of bundles other than these: a month
    no paper is first seen in any longer."""
    keep = {copies_folder(bundle) for bundle in bundles}
    keep |= {name + ".json" for name in keep}
    if folder.is_dir() and not folder.is_symlink():
        for entry in folder.iterdir():
            if entry.name not in keep:
                remove_entry(entry)


def bundle_path(shard: str, main: bool) -> str:
    """Where a shard's bundle goes in the site."""
    return f"{BUNDLE}/" if main else f"{BUNDLE}/{shard}/"


def _executable() -> str:
    try:
        from pagefind.service import get_executable
    except ImportError:
        raise DigestError("search needs the pagefind package (pip install 'pagefind[bin]'), "
                          "or build with --no-search") from None
    binary = get_executable()
    if binary is None:
        raise DigestError("search needs the Pagefind binary (pip install 'pagefind[bin]'), or build with --no-search")
    return str(binary)


def _site_argument(pages: Path, folder: Path) -> str:
    """The folder of pages as Pagefind, running in ``folder``, is given it: a path from there, or,
    where that is no UTF-8 text (an output folder's name may be any bytes, and Pagefind refuses a
    path it cannot read as text), a link in ``folder`` leading to it."""
    relative = os.path.relpath(pages, folder)
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        link = folder / "pages-link"
        if os.path.lexists(link):
            remove_entry(link)
        os.symlink(pages, link)
        return link.name
    return relative


class SearchIndexing:
    """Pagefind over the given shards (bundle path -> site-relative pages under ``site``, with
    the sha256 of each), at most ``workers`` at a time, in the background while the build goes
    on; ``result()`` waits for it.  Leaving the context stops Pagefind if it still runs and
    removes what it wrote.

    Pagefind reads a shard's pages from one flat folder of copies of what it indexes of them
    (so it looks at nothing else: walking the whole site, or every page whole, cost far more;
    see ``indexable_copy``).  The folders are kept in ``copies`` (in the build cache) from one
    build to the next, so that only changed pages are copied again (see ``update_copies``);
    without it they are made beside ``site`` and removed.  Pagefind writes each bundle beside
    ``site``, from where the build links its files into the site.  That folder is not inside
    the site, so that nothing a killed build's Pagefind writes can end up in it; Pagefind
    itself is started to die with the build where ``setpriv`` can do that.  Results link to
    the URL each page gives itself (``data-pagefind-meta="url:…"``), not to where its copy was.

    A day's build (``day_build``), which changes a shard or two, differs in two ways:

    - The copies are brought up to date when the context is entered, before any Pagefind
      starts.  In a thread of their own, beside the build rendering pages, they took far longer
      (0.16 s for 50 pages, against 0.03 s), each file operation waiting for the thread's turn
      to run Python again.
    - Pagefind writes into a folder in memory (``MEMORY``) when there is room, where its
      hundreds of files cost far less to make than on disk; the build then copies into the
      site those it does not have already.  A killed build's folder there is removed by the
      next build with the same cache (``copies``) that indexes any shard (one build uses a
      cache at a time)."""

    def __init__(self, site: Path, shards: dict[str, dict[str, str]], language: str, *, workers: int = 1,
                 copies: Path | None = None, version: str = "", day_build: bool = False):
        self.site, self.shards = site, shards
        self.day_build = day_build
        self.language = language.split("-")[0].lower()
        self.workers = max(1, workers)
        self.copies, self.version = copies, version
        self.scratch = site.parent / f"{site.name}.search-{os.getpid()}"
        self._memory_prefix = ""  # with a cache: how the names of its folders in memory begin
        if copies is not None:
            owner = hashlib.sha256(str(copies.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
            self._memory_prefix = f"digest-{owner}-search-"
        self._use_memory = day_build and copies is not None and _room_in_memory(sum(map(len, shards.values())))
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self._stopping = False
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}

    def __enter__(self) -> "SearchIndexing":
        if not self.shards:
            return self
        binary = _executable()
        prefix = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
        if self.copies is not None:
            own_folder(self.copies)  # before the threads: never wherever a link there leads
        if self._memory_prefix:
            _remove_leftovers(MEMORY, self._memory_prefix)
        if self._use_memory:
            # A folder of its own, made anew (MEMORY is everyone's): never one someone else made.
            self.scratch = Path(tempfile.mkdtemp(prefix=self._memory_prefix, dir=MEMORY))
        else:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch.mkdir(parents=True)
        bundles = sorted(self.shards)
        folders = {bundle: self.scratch / str(n) for n, bundle in enumerate(bundles)}
        pages = {bundle: folders[bundle] / "pages" if self.copies is None else self.copies / copies_folder(bundle)
                 for bundle in bundles}
        if self.day_build:
            for bundle in bundles:
                update_copies(pages[bundle], self.site, self.shards[bundle], self.version)
        self._pool = ThreadPoolExecutor(max_workers=self.workers)
        self._futures = {bundle: self._pool.submit(self._index_one, [*prefix, binary], bundle, folders[bundle],
                                                   pages[bundle])
                         for bundle in bundles}
        return self

    def _index_one(self, command: list[str], bundle: str, folder: Path, pages: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if not self.day_build:
            update_copies(pages, self.site, self.shards[bundle], self.version)
        output = folder / BUNDLE
        # The command line, not Pagefind's service mode: the command waits for every file to be
        # written before it exits, where the service can answer while a file is still being written.
        with open(folder / "pagefind.log", "w+", encoding="utf-8", errors="replace") as log:
            with self._lock:
                if self._stopping:
                    raise DigestError("the search index was not built: the build stopped")
                process = subprocess.Popen(
                    [*command, "--site", _site_argument(pages, folder), "--output-path", output.name, "--silent",
                     "--force-language", self.language],
                    cwd=folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
                self._running.add(process)
            code = process.wait()
            with self._lock:
                self._running.discard(process)
            if code != 0:
                log.seek(0)
                reason = log.read().strip().splitlines()
                raise DigestError(f"the search index could not be built: {reason[0] if reason else code}")
        return output

    def result(self) -> dict[str, dict[str, Path]]:
        """Bundle path -> (site path -> the file Pagefind wrote it to), once Pagefind is done.
        A bundle other than ``pagefind/`` keeps only its index files."""
        keep = (*_INDEX_FILES, f"wasm.{self.language}.pagefind")
        bundles: dict[str, dict[str, Path]] = {}
        for bundle, future in self._futures.items():
            folder = future.result()
            bundles[bundle] = {bundle + path.relative_to(folder).as_posix(): path
                               for path in sorted(folder.rglob("*"))
                               if path.is_file() and (bundle == f"{BUNDLE}/" or path.name.endswith(keep))}
            # Pagefind writes no empty file, but on a full disk it may leave some and succeed.
            empty = next((path for path in bundles[bundle].values() if path.stat().st_size == 0), None)
            if empty is not None:
                raise DigestError(f"the search index could not be built: Pagefind left {empty.name} empty "
                                  f"(is the disk full?)")
        return bundles

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._stopping = True
            for process in self._running:
                process.kill()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
