"""sitemap.xml and robots.txt: where search engines find every page, and when it last changed."""

from __future__ import annotations

import datetime as dt
from html import escape

from digest import urls
from digest.config import SiteConfig


def sitemap_xml(pages: dict[str, dt.date], site: SiteConfig) -> bytes:
    """A sitemap of the given site paths with their last-modified dates, in path order."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path in sorted(pages):
        lines.append(f"  <url><loc>{escape(site.url(path), quote=False)}</loc><lastmod>{pages[path].isoformat()}</lastmod></url>")
    lines += ["</urlset>", ""]
    return "\n".join(lines).encode("utf-8")


def robots_txt(site: SiteConfig) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.url(urls.SITEMAP)}\n".encode("utf-8")
