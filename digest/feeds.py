"""Feeds: the site-wide feed (one entry per list day, mirroring the e-mail) and one per topic
(one entry per paper), each as RSS 2.0 and Atom 1.0 (feedgen) and JSON Feed 1.1; plus an
OPML list of them all.

A feed is first described as plain data (``Feed``), then serialised.  Every
date is explicit (feedgen would otherwise stamp the current time), entries
are appended in the order given (feedgen prepends by default), and ids are
the entries' page URLs (which a day added later, older than the others, can
move: see README), so feeds are reproducible.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from feedgen.feed import FeedGenerator
from jinja2 import Environment

from digest import __version__, urls
from digest.config import SiteConfig
from digest.pages import DayPage, TopicPage
from digest.render import render_template
from digest.text import excerpt

EPOCH = dt.date(1970, 1, 1)

#: Renders an entry's content: (template, context, what the context is made of) -> HTML.  The
#: build's remembers entries across builds by what they are made of (see digest.build).
RenderEntry = Callable[[str, dict, tuple], str]


def feed_time(date: dt.date) -> dt.datetime:
    """The timestamp a list day is published at in feeds and e-mails: noon UTC of that day.
    Readers show it in their own time zone: at midnight UTC, the e-mail and feed entry of
    19 Jan would be dated 18 Jan everywhere in the Americas; noon is the same day from UTC-11
    to UTC+11."""
    return dt.datetime(date.year, date.month, date.day, 12, tzinfo=dt.timezone.utc)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str  #: the entry's page URL
    title: str
    published: dt.date
    updated: dt.date
    summary: str  #: plain text
    content_html: str


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    subtitle: str
    page: str  #: site path of the HTML page the feed follows
    slug: str | None  #: topic slug, None for the site-wide feed
    entries: tuple[FeedEntry, ...]
    #: The date of the feed while it has no entries (a topic no paper has matched yet): the site's
    #: latest list day, not 1970.
    empty_since: dt.date = EPOCH

    def path(self, kind: str) -> str:
        """Site path of the feed as ``rss``, ``atom`` or ``json``."""
        return urls.FEED_FILES[kind] if self.slug is None else urls.topic_feed_path(self.slug, kind)

    @property
    def updated(self) -> dt.date:
        return max((e.updated for e in self.entries), default=self.empty_since)


def _renderer(env: Environment, render: RenderEntry | None) -> RenderEntry:
    return render or (lambda template, context, made_of: render_template(env, template, context))


def day_feed(days: Sequence[DayPage], site: SiteConfig, env: Environment, render: RenderEntry | None = None, *,
             abstract_chars: int = 300) -> Feed:
    """The newest list days, newest first; each entry is the day as the e-mail shows it (all its
    papers, where the e-mail lists only those that fit in email.max_html_bytes), with
    abstracts cut as the e-mail cuts them (``email.abstract_chars``)."""
    render = _renderer(env, render)
    entries = []
    for day in reversed(days[max(0, len(days) - site.feed_items):]):
        content = render("feed_day.html", {"day": day, "url": site.url, "abstract_chars": abstract_chars},
                         (day, site, abstract_chars))
        entries.append(FeedEntry(site.url(urls.date_path(day.date)), day.headline, day.date, day.date,
                                 day.summary + ".", content))
    return Feed(site.title, site.description, urls.HOME, None, tuple(entries))


def topic_feed(topic: TopicPage, site: SiteConfig, env: Environment, render: RenderEntry | None = None, *,
               latest: dt.date = EPOCH) -> Feed:
    """A topic's papers, most recently trending first, dated by when they first and last trended;
    ``latest`` is the site's latest list day, the date of a topic without papers."""
    render = _renderer(env, render)
    entries = []
    for item in topic.items[: site.topic_feed_items]:
        content = render("feed_paper.html", {"item": item, "url": site.url, "excerpt_chars": site.excerpt_chars},
                         (item, site))
        # The summary readers list entries with: the abstract, cut as the entry's content cuts it.
        summary = excerpt(item.abstract, site.excerpt_chars)[0] or item.who or item.title
        entries.append(FeedEntry(site.url(urls.paper_path(item.slug)), item.title, item.first_seen,
                                 item.last_seen, summary, content))
    return Feed(f"{topic.title} · {site.title}", topic.description, urls.topic_path(topic.slug), topic.slug,
                tuple(entries), latest)


def _feedgen(feed: Feed, site: SiteConfig, kind: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(site.url(feed.page))
    fg.title(feed.title)
    subtitle = feed.subtitle or feed.title
    # Readers take an RSS channel's description as HTML and an Atom subtitle (feedgen's, of type
    # text) as text: the description is plain text, so escape it for RSS.
    fg.subtitle(html.escape(subtitle, quote=False) if kind == "rss" else subtitle)
    # The self link first: feedgen takes the last link as the RSS channel <link>,
    # which must be the HTML page.
    fg.link(href=site.url(feed.path(kind)), rel="self",
            type="application/rss+xml" if kind == "rss" else "application/atom+xml")
    fg.link(href=site.url(feed.page), rel="alternate", type="text/html")
    fg.language(site.language)
    fg.generator("digest", version=__version__)
    if site.author:
        author = {"name": site.author}
        if site.author_email:
            author["email"] = site.author_email
        fg.author(author)
        if site.author_email and kind == "rss":  # feedgen writes an RSS channel's author here only
            fg.managingEditor(f"{site.author_email} ({site.author})")
    elif kind == "atom":  # Atom requires an author of the feed (RFC 4287, 4.1.1): the site's, by its name
        fg.author({"name": site.title})
    fg.updated(feed_time(feed.updated))
    fg.lastBuildDate(feed_time(feed.updated))
    for e in feed.entries:
        entry = fg.add_entry(order="append")
        entry.id(e.id)
        entry.guid(e.id, permalink=True)
        entry.title(e.title)
        entry.link(href=e.id, rel="alternate", type="text/html")
        # RSS has one date, pubDate, by which readers sort: the last the entry changed, which is the
        # order the entries are listed in (a paper that trends again comes first in its topic feed).
        entry.published(feed_time(e.updated if kind == "rss" else e.published))
        entry.updated(feed_time(e.updated))
        # Readers treat an RSS description as HTML: the summary is plain text, so escape it.
        entry.summary(html.escape(e.summary, quote=False), type="html")
        entry.content(e.content_html, type="html")
    return fg


def json_feed(feed: Feed, site: SiteConfig) -> bytes:
    """The feed as JSON Feed 1.1."""
    data = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": site.url(feed.page),
        "feed_url": site.url(feed.path("json")),
        "description": feed.subtitle or feed.title,
        "language": site.language,
        "items": [
            {"id": e.id, "url": e.id, "title": e.title, "content_html": e.content_html, "summary": e.summary,
             "date_published": feed_time(e.published).isoformat(), "date_modified": feed_time(e.updated).isoformat()}
            for e in feed.entries
        ],
    }
    if site.author:
        data["authors"] = [{"name": site.author, **({"url": f"mailto:{site.author_email}"} if site.author_email else {})}]
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def feed_files(feed: Feed, site: SiteConfig) -> dict[str, bytes]:
    """Site path -> bytes of the feed in all three formats."""
    return {
        feed.path("rss"): _feedgen(feed, site, "rss").rss_str(pretty=True),
        feed.path("atom"): _feedgen(feed, site, "atom").atom_str(pretty=True),
        feed.path("json"): json_feed(feed, site),
    }


def _attribute(value: str) -> str:
    """An XML attribute value, quoted (line breaks and tabs kept as character references)."""
    escaped = html.escape(value, quote=True).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return f'"{escaped}"'


def opml(feeds: list[Feed], site: SiteConfig) -> bytes:
    """An OPML list of every feed (RSS), for importing them all into a reader at once."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">', "  <head>",
             f"    <title>{html.escape(site.title)}</title>", "  </head>", "  <body>"]
    for feed in feeds:
        lines.append(f"    <outline type=\"rss\" text={_attribute(feed.title)} title={_attribute(feed.title)} "
                     f"xmlUrl={_attribute(site.url(feed.path('rss')))} htmlUrl={_attribute(site.url(feed.page))}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")
