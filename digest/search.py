"""Full-text search with Pagefind: an index of the paper pages, served as static files.

The pages are indexed from memory and the bundle (index, WebAssembly, UI
script) is read back into the build's output, so it lands in the site with
the same all-or-nothing swap as every other file.  Only elements marked
``data-pagefind-body`` (the paper pages' article) are indexed, so every
result is a paper.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from digest import urls
from digest.errors import DigestError

BUNDLE = "pagefind"


async def _index(pages: dict[str, str], language: str, scratch: Path) -> Path:
    """Index the pages that mark a ``data-pagefind-body``; returns the folder holding the bundle."""
    from pagefind.index import IndexConfig, PagefindIndex

    # One directory call: adding pages one by one costs a round trip to the indexer each.
    source, bundle = scratch / "pages", scratch / BUNDLE
    for path, html in pages.items():
        if "data-pagefind-body" in html:
            target = source / urls.output_file(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
    source.mkdir(exist_ok=True)
    config = IndexConfig(force_language=language.split("-")[0].lower(), output_path=str(bundle))
    async with PagefindIndex(config=config) as index:
        await index.add_directory(str(source))
    return bundle


def search_bundle(pages: dict[str, str], language: str) -> dict[str, bytes]:
    """Site path -> bytes of the Pagefind bundle for the given pages (site path -> HTML)."""
    try:
        with tempfile.TemporaryDirectory(prefix="digest-search-") as tmp:
            folder = asyncio.run(_index(pages, language, Path(tmp)))
            return {f"{BUNDLE}/{p.relative_to(folder).as_posix()}": p.read_bytes()
                    for p in sorted(folder.rglob("*")) if p.is_file()}
    except ImportError:
        raise DigestError("search needs the pagefind package (pip install 'pagefind[bin]'), "
                          "or build with --no-search") from None
    except DigestError:
        raise
    except Exception as error:  # the indexer runs as a separate binary; any failure of it is one message
        raise DigestError(f"the search index could not be built: {error}") from None
