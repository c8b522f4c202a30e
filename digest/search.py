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

import os
import re
import shutil
import subprocess
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from digest.errors import DigestError

BUNDLE = "pagefind"
#: What a merged (not main) bundle keeps: the browser loads these from each index it merges
#: (with the WebAssembly of the index's language); the scripts and styles come from the main bundle.
_INDEX_FILES = (".json", ".pf_meta", ".pf_index", ".pf_fragment", ".pf_filter")


#: The element of a page that Pagefind indexes (see paper.html); its text cannot hold "</article>",
#: which is escaped like all text.
_BODY = re.compile(rb"<article\b[^>]*\bdata-pagefind-body\b[^>]*>.*?</article>", re.S)


def indexable_copy(page: Path, copy: Path) -> None:
    """Give Pagefind what it indexes of a page: its ``data-pagefind-body`` element alone, in an
    otherwise empty document, which is a third less work for Pagefind than the whole page and
    gives the same results.  Where the page has no single such element (templates of one's
    own), Pagefind reads the whole page, through a hard link."""
    data = page.read_bytes()
    found = _BODY.findall(data)
    if len(found) == 1 and found[0].count(b"<article") == 1:
        copy.write_bytes(b'<!DOCTYPE html><html><head><meta charset="utf-8"><title></title></head><body>'
                         + found[0] + b"</body></html>\n")
        return
    try:
        os.link(page, copy)
    except OSError:
        shutil.copyfile(page, copy)


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


class SearchIndexing:
    """Pagefind over the given shards (bundle path -> site-relative pages under ``site``), at
    most ``workers`` at a time, in the background while the build goes on; ``result()`` waits
    for it.  Leaving the context stops Pagefind if it still runs and removes what it wrote.

    Pagefind reads a shard's pages from one flat folder beside ``site`` of copies of what it
    indexes of them (so it looks at nothing else: walking the whole site, or every page whole,
    cost far more; see ``indexable_copy``), and
    writes each bundle there too, from where the build links its files into the site.  The
    folder is not inside the site, so that nothing a killed build's Pagefind writes can end up
    in it; Pagefind itself is started to die with the build where ``setpriv`` can do that.
    Results link to the URL each page gives itself (``data-pagefind-meta="url:…"``), not to
    where its copy was."""

    def __init__(self, site: Path, shards: dict[str, list[str]], language: str, *, workers: int = 1):
        self.site, self.shards = site, shards
        self.language = language.split("-")[0].lower()
        self.workers = max(1, workers)
        self.scratch = site.parent / f"{site.name}.search-{os.getpid()}"
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
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir(parents=True)
        self._pool = ThreadPoolExecutor(max_workers=self.workers)
        self._futures = {bundle: self._pool.submit(self._index_one, [*prefix, binary], bundle, self.scratch / str(n))
                         for n, bundle in enumerate(sorted(self.shards))}
        return self

    def _index_one(self, command: list[str], bundle: str, folder: Path) -> Path:
        pages, output = folder / "pages", folder / BUNDLE
        pages.mkdir(parents=True)
        for page in self.shards[bundle]:
            # "papers/<slug>/index.html" -> "papers_<slug>.html": unique, and the same every build
            # (fragment files are named by their content, which holds this name).
            copy = pages / (page.removesuffix("/index.html").replace("/", "_") + ".html")
            indexable_copy(self.site / page, copy)
        # The command line, not Pagefind's service mode: the command waits for every file to be
        # written before it exits, where the service can answer while a file is still being written.
        with open(folder / "pagefind.log", "w+", encoding="utf-8", errors="replace") as log:
            with self._lock:
                if self._stopping:
                    raise DigestError("the search index was not built: the build stopped")
                process = subprocess.Popen(
                    [*command, "--site", str(pages), "--output-path", str(output), "--silent",
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
        return bundles

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._stopping = True
            for process in self._running:
                process.kill()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
