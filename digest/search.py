"""Full-text search with Pagefind: an index of the paper pages, served as static files.

Pagefind cannot add pages to an existing index, so the index is split into
shards by the month a paper was first seen, and the search page merges them
in the browser (Pagefind's ``mergeIndex``).  A new day changes only the
shards of the papers it touched, usually just the newest one; the others are
the previous build's files.  The newest shard is the main bundle, at
``pagefind/`` with the search UI; older months are at ``pagefind/YYYY-MM/``
and hold only index files.

Each shard is indexed by the Pagefind binary from the paper pages of the new
site folder, and its files are added to the build's output, so they land in
the site with the same all-or-nothing swap as every other file.  Only
elements marked ``data-pagefind-body`` (the paper pages' article) are
indexed, so every result is a paper.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from digest.errors import DigestError

BUNDLE = "pagefind"
#: What a merged (not main) bundle keeps: the browser loads these from each index it merges
#: (with the WebAssembly of the index's language); the scripts and styles come from the main bundle.
_INDEX_FILES = (".json", ".pf_meta", ".pf_index", ".pf_fragment", ".pf_filter")


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


def _index_one(binary: str, site: Path, pages: list[str], language: str, scratch: Path) -> Path:
    source, output = scratch / "pages", scratch / BUNDLE
    for page in pages:  # linked, not copied: the indexer reads just these pages
        target = source / page
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(site / page, target)
        except OSError:
            shutil.copyfile(site / page, target)
    # The command line, not Pagefind's service mode: the command waits for every file to be
    # written before it exits, where the service can answer while a file is still being written.
    done = subprocess.run([binary, "--site", str(source), "--output-path", str(output), "--silent",
                           "--force-language", language],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise DigestError(f"the search index could not be built: {reason[0] if reason else done.returncode}")
    return output


def search_bundles(site: Path, shards: dict[str, list[str]], language: str, *,
                   workers: int = 1) -> dict[str, dict[str, bytes]]:
    """Bundle path -> (site path -> bytes) of the bundles for the given shards (bundle path ->
    site-relative pages under ``site``).  A bundle other than ``pagefind/`` keeps only its index files."""
    if not shards:
        return {}
    binary = _executable()
    language = language.split("-")[0].lower()
    keep = (*_INDEX_FILES, f"wasm.{language}.pagefind")
    with tempfile.TemporaryDirectory(prefix="digest-search-") as tmp:
        jobs = {bundle: Path(tmp) / str(n) for n, bundle in enumerate(sorted(shards))}
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            folders = dict(zip(jobs, pool.map(
                lambda bundle: _index_one(binary, site, shards[bundle], language, jobs[bundle]), jobs)))
        return {bundle: {bundle + path.relative_to(folder).as_posix(): path.read_bytes()
                         for path in sorted(folder.rglob("*"))
                         if path.is_file() and (bundle == f"{BUNDLE}/" or path.name.endswith(keep))}
                for bundle, folder in sorted(folders.items())}


def shard_papers(papers) -> dict[str, list]:
    """Bundle path -> the papers it indexes: a shard per month first seen, the newest month in
    the main bundle."""
    months: dict[str, list] = {}
    for paper in papers:
        months.setdefault(paper.first_seen.strftime("%Y-%m"), []).append(paper)
    newest = max(months, default=None)
    return {bundle_path(month, month == newest): sorted(shard, key=lambda p: p.slug)
            for month, shard in sorted(months.items())}
