"""Every site path, URL and output file name rule, in one place.

Site paths are relative to the site root and end with "/" for pages
(``dates/2026-01-19/``) or name a file (``feed.xml``).  Pages link to each
other with relative URLs, so a site works under any base path and from disk.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from urllib.parse import urlsplit

HOME = ""
ARCHIVE = "archive/"
TOPICS = "topics/"
SEARCH = "search/"
SEARCH_SCRIPT = "assets/search.js"
NOT_FOUND = "404.html"
STYLESHEET = "assets/style.css"
FAVICON = "assets/favicon.svg"
RSS = "feed.xml"
ATOM = "atom.xml"
JSON_FEED = "feed.json"
#: The file of each kind of feed, by the name feeds and templates give the kind.
FEED_FILES = {"rss": RSS, "atom": ATOM, "json": JSON_FEED}
OPML = "feeds.opml"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"


def date_path(date: dt.date) -> str:
    return f"dates/{date.isoformat()}/"


def topic_path(slug: str) -> str:
    """A topic's page: its most recently trending papers."""
    return f"topics/{slug}/"


def topic_archive_path(slug: str, number: int) -> str:
    """Page ``number`` of a topic's archive, counted from its oldest papers (so it stays put as papers are added)."""
    return f"topics/{slug}/page/{number}/"


def topic_slice_path(slug: str, number: int) -> str:
    """The page of slice ``number`` of a topic: its own page (0), else an archive page."""
    return topic_archive_path(slug, number) if number else topic_path(slug)


def paper_path(slug: str) -> str:
    return f"papers/{slug}/"


def topic_feed_path(slug: str, kind: str) -> str:
    """``kind`` is "rss", "atom" or "json"."""
    return f"topics/{slug}/{FEED_FILES[kind]}"


def output_file(path: str) -> str:
    """The file that serves a site path: pages are ``index.html`` files in their folder."""
    return path + "index.html" if path == "" or path.endswith("/") else path


def root_prefix(path: str) -> str:
    """The relative URL from the page at ``path`` back to the site root ("./" at the root)."""
    depth = output_file(path).count("/")
    return "../" * depth if depth else "./"


def markdown_date_page(date: dt.date) -> str:
    """Where the Markdown page of a list day lives, relative to the content folder."""
    return f"dates/{date.isoformat()}.md"


def markdown_topic_page(slug: str) -> str:
    return f"topics/{slug}.md"


def markdown_topic_archive_page(slug: str, number: int) -> str:
    """Page ``number`` of a topic's archive, counted from its oldest papers (as on the site)."""
    return f"topics/{slug}/page-{number}.md"


def markdown_topic_slice(slug: str, number: int) -> str:
    """The Markdown page of slice ``number`` of a topic: its own page (0), else an archive page."""
    return markdown_topic_archive_page(slug, number) if number else markdown_topic_page(slug)


def relative_link(source: str, target: str) -> str:
    """A relative link from the file at ``source`` to the file at ``target`` (both relative to one root)."""
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


def url_problem(url: str) -> str | None:
    """Why an http(s) URL is malformed, or None: urlsplit refuses some (``https://[::1/``), and
    others only fail when their port is read (``https://x.org:abc/``, a port above 65535)."""
    if re.search(r"\s", url):
        return "it holds a space or a line break"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number up to 65535
    except ValueError as error:
        return str(error) or "not a URL"
    if parts.port == 0:
        return "port 0 is no port a server listens on"
    if parts.scheme.lower() in ("http", "https"):
        if not parts.hostname:
            return "it names no host"
        if parts.username is not None or parts.password is not None:
            return "no user name or password"  # which messages would show
    return None


def unbracketed(host: str) -> str:
    """A host as a connection takes it: an IPv6 address as URLs write it, ``[::1]``, without its brackets."""
    return re.sub(r"^\[(.*:.*)\]$", r"\1", host)
