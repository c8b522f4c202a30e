"""RSS 2.0 and Atom 1.0 feeds with feedgen: the site-wide feeds (one entry per list day)
and one pair per topic (one entry per paper).

Every date is explicit (feedgen would otherwise stamp the current time),
entries are appended in the order given (feedgen prepends by default), and
ids are the entries' permanent page URLs, so feeds are reproducible.
"""

from __future__ import annotations

import datetime as dt
import html

from feedgen.feed import FeedGenerator
from jinja2 import Environment

from digest import __version__, urls
from digest.config import SiteConfig
from digest.pages import DayPage, TopicPage
from digest.render import render_template


def feed_time(date: dt.date) -> dt.datetime:
    """The timestamp a list day is published at in feeds: midnight UTC of that day."""
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc)


def _new_feed(site: SiteConfig, *, title: str, subtitle: str, page: str, rss: str, atom: str,
              updated: dt.datetime) -> tuple[FeedGenerator, FeedGenerator]:
    """Two generators, one to serialise as RSS and one as Atom, each with its own self link."""
    feeds = []
    for self_path, self_type in ((rss, "application/rss+xml"), (atom, "application/atom+xml")):
        fg = FeedGenerator()
        fg.id(site.url(page))
        fg.title(title)
        fg.subtitle(subtitle or title)
        # The self link first: feedgen takes the last link as the RSS channel <link>,
        # which must be the HTML page.
        fg.link(href=site.url(self_path), rel="self", type=self_type)
        fg.link(href=site.url(page), rel="alternate", type="text/html")
        fg.language(site.language)
        fg.generator("digest", version=__version__)
        if site.author:
            author = {"name": site.author}
            if site.author_email:
                author["email"] = site.author_email
            fg.author(author)
        fg.updated(updated)
        fg.lastBuildDate(updated)
        feeds.append(fg)
    return feeds[0], feeds[1]


def _serialise(rss: FeedGenerator, atom: FeedGenerator) -> tuple[bytes, bytes]:
    return rss.rss_str(pretty=True), atom.atom_str(pretty=True)


def _add_entry(fg: FeedGenerator, *, entry_id: str, title: str, link: str, published: dt.datetime,
               updated: dt.datetime, summary: str, content: str) -> None:
    entry = fg.add_entry(order="append")
    entry.id(entry_id)
    entry.guid(entry_id, permalink=True)
    entry.title(title)
    entry.link(href=link, rel="alternate", type="text/html")
    entry.published(published)
    entry.updated(updated)
    # Readers treat an RSS description as HTML: the summary is plain text, so escape it.
    entry.summary(html.escape(summary, quote=False), type="html")
    entry.content(content, type="html")


def site_feeds(days: list[DayPage], site: SiteConfig, env: Environment) -> dict[str, bytes]:
    """``feed.xml`` and ``atom.xml``: the newest list days, newest first."""
    newest = list(reversed(days))[: site.feed_items]
    updated = feed_time(newest[0].date) if newest else feed_time(dt.date(1970, 1, 1))
    feeds = _new_feed(site, title=site.title, subtitle=site.description, page=urls.HOME,
                      rss=urls.RSS, atom=urls.ATOM, updated=updated)
    for day in newest:
        content = render_template(env, "feed_day.html", {"day": day, "url": site.url,
                                                         "excerpt_chars": site.excerpt_chars})
        for fg in feeds:
            _add_entry(fg, entry_id=site.url(urls.date_path(day.date)), title=day.headline,
                       link=site.url(urls.date_path(day.date)), published=feed_time(day.date),
                       updated=feed_time(day.date), summary=day.summary + ".", content=content)
    rss, atom = _serialise(*feeds)
    return {urls.RSS: rss, urls.ATOM: atom}


def topic_feeds(topic: TopicPage, site: SiteConfig, env: Environment) -> dict[str, bytes]:
    """A topic's RSS and Atom feeds: its papers, most recently trending first."""
    items = topic.items[: site.topic_feed_items]
    updated = max((feed_time(i.last_seen) for i in items), default=feed_time(dt.date(1970, 1, 1)))
    rss_path, atom_path = urls.topic_feed_path(topic.slug, "rss"), urls.topic_feed_path(topic.slug, "atom")
    feeds = _new_feed(site, title=f"{topic.title} · {site.title}", subtitle=topic.description,
                      page=urls.topic_path(topic.slug), rss=rss_path, atom=atom_path, updated=updated)
    for item in items:
        content = render_template(env, "feed_paper.html", {"item": item, "url": site.url,
                                                           "excerpt_chars": site.excerpt_chars})
        link = site.url(urls.paper_path(item.slug))
        for fg in feeds:
            _add_entry(fg, entry_id=link, title=item.title, link=link, published=feed_time(item.first_seen),
                       updated=feed_time(item.last_seen), summary=item.who or item.title, content=content)
    rss, atom = _serialise(*feeds)
    return {rss_path: rss, atom_path: atom}
