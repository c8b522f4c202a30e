"""sitemap.xml and robots.txt: where search engines find every page, and when it last changed."""

from __future__ import annotations

import datetime as dt
from html import escape

from digest import urls
from digest.config import SiteConfig


#: The most URLs one sitemap file may list (sitemaps.org): a larger site gets several, and
#: sitemap.xml becomes their index.
MAX_SITEMAP_URLS = 50_000


def sitemap_files(pages: dict[str, dt.date], site: SiteConfig, *, limit: int = MAX_SITEMAP_URLS) -> dict[str, bytes]:
    """sitemap.xml for the given site paths with their last-modified dates, in path order; for
    more than ``limit`` paths, sitemap-1.xml, sitemap-2.xml... of ``limit`` each, and sitemap.xml
    their index (with the latest date of each)."""
    paths = sorted(pages)
    if len(paths) <= limit:
        return {urls.SITEMAP: _urlset(paths, pages, site)}
    parts = [paths[start:start + limit] for start in range(0, len(paths), limit)]
    files = {f"sitemap-{number}.xml": _urlset(part, pages, site) for number, part in enumerate(parts, 1)}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for (name, _), part in zip(files.items(), parts):
        latest = max(pages[path] for path in part)
        lines.append(f"  <sitemap><loc>{escape(site.url(name), quote=False)}</loc>"
                     f"<lastmod>{latest.isoformat()}</lastmod></sitemap>")
    lines += ["</sitemapindex>", ""]
    return {urls.SITEMAP: "\n".join(lines).encode("utf-8"), **files}


def _urlset(paths: list[str], pages: dict[str, dt.date], site: SiteConfig) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path in paths:
        lines.append(f"  <url><loc>{escape(site.url(path), quote=False)}</loc><lastmod>{pages[path].isoformat()}</lastmod></url>")
    lines += ["</urlset>", ""]
    return "\n".join(lines).encode("utf-8")


def robots_txt(site: SiteConfig) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.url(urls.SITEMAP)}\n".encode("utf-8")
