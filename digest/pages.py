"""Library -> pages: the per-day and per-topic pages as plain data, and their Markdown form.

``DayPage`` and ``TopicPage`` are what both the Markdown files under
``content/`` and the HTML site are made from.  Their Markdown text has YAML
front matter and a body that reads well on its own; every snapshot text in it
is escaped so that it can only render as text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from dataclasses import dataclass

import yaml

from digest import urls
from digest.config import OTHER_TOPIC
from digest.library import OTHER_TITLE
from digest.models import NEW, RETURNING, TRENDING, Day, Library, Paper
from digest.files import GENERATOR
from digest.text import escape_markdown, excerpt, long_date, plural, short_date, weekday_date, who


@dataclass(frozen=True, slots=True)
class TopicLink:
    slug: str
    title: str
    path: str  #: of the topic's page, from the site's root (templates link ``root ~ path``)


def topic_link(slug: str, title: str) -> TopicLink:
    return TopicLink(slug, title, urls.topic_path(slug))


@dataclass(frozen=True, slots=True)
class ListedPaper:
    """A paper as a list page shows it."""

    key: str
    slug: str
    path: str  #: of the paper's page, from the site's root
    title: str
    who: str
    published: dt.date | None
    comments: int | None
    upvotes: int | None
    abstract: str
    topics: tuple[TopicLink, ...]
    # The paper's history across days; None/0 on day pages, which do not show it (so that a
    # day's page stays the same when the paper trends again later).
    first_seen: dt.date | None
    last_seen: dt.date | None
    appearances: int
    best_rank: int
    arxiv_id: str | None
    rank: int | None = None  #: on a day page
    status: str | None = None  #: NEW, RETURNING or TRENDING on a day page
    previous_rank: int | None = None
    terms: tuple[str, ...] = ()  #: on a topic page: what matched

    @property
    def facts(self) -> tuple[str, ...]:
        """What the daily e-mail and feed say of the paper in a line, those it has: who, when it
        was published, its upvotes and its comments."""
        facts = [self.who] if self.who else []
        if self.published:
            facts.append(f"published {short_date(self.published)}")
        if self.upvotes:
            facts.append(plural(self.upvotes, "upvote"))
        if self.comments:
            facts.append(plural(self.comments, "comment"))
        return tuple(facts)

    @property
    def topic_titles(self) -> str:
        """Its topics' titles, joined by commas."""
        return ", ".join(topic.title for topic in self.topics)

    @property
    def movement(self) -> str:
        """How the paper moved since the previous day, in words."""
        if self.status == NEW:
            return "new"
        if self.status == RETURNING:
            return "returning"
        if self.status == TRENDING and self.previous_rank is not None and self.rank is not None:
            change = self.previous_rank - self.rank
            if change > 0:
                return f"up {change}"
            if change < 0:
                return f"down {-change}"
            return "same place"
        return ""

    @property
    def movement_kind(self) -> str:
        """One word for styling: new, returning, up, down or same."""
        words = self.movement.split()
        return words[0] if words and words[0] in ("new", "returning", "up", "down") else "same"


@dataclass(frozen=True, slots=True)
class DayPage:
    date: dt.date
    title: str
    sources: tuple[str, ...]
    items: tuple[ListedPaper, ...]
    dropped: tuple[ListedPaper, ...]  #: with ``rank`` set to the rank they had on the previous day
    previous: dt.date | None
    next: dt.date | None

    @property
    def counts(self) -> dict[str, int]:
        return _counts([item.status for item in self.items], len(self.dropped))

    @property
    def headline(self) -> str:
        """``Trending papers — 19 Jan 2026: 57 papers, 12 new``: the e-mail subject and feed entry title."""
        counts = self.counts
        return f"{self.title}: {plural(counts['papers'], 'paper')}, {counts['new'] or 'none'} new"

    @property
    def brief(self) -> DaySummary:
        """The day as lists of days show it: a page listing days does not depend on their papers."""
        return DaySummary(self.date, self.title, self.summary)

    @property
    def summary(self) -> str:
        """``57 papers, 49 new, 7 returning, 1 still trending; 8 dropped since 7 January 2026``."""
        return _summary(self.counts, self.previous)


def _counts(statuses: list[str], dropped: int) -> dict[str, int]:
    return {"papers": len(statuses), "new": statuses.count(NEW), "returning": statuses.count(RETURNING),
            "trending": statuses.count(TRENDING), "dropped": dropped}


def _summary(counts: dict[str, int], previous: dt.date | None) -> str:
    parts = [plural(counts["papers"], "paper"), f"{counts['new'] or 'none'} new"]
    if counts["returning"]:
        parts.append(f"{counts['returning']} returning")
    if counts["trending"]:
        parts.append(f"{counts['trending']} still trending")
    text = ", ".join(parts)
    if previous is not None:
        text += f"; {counts['dropped'] or 'none'} dropped since {long_date(previous)}"
    return text


def day_brief(day: Day) -> "DaySummary":
    """``DayPage.brief`` of a day, made from the day alone (lists of days need no papers)."""
    return DaySummary(day.date, day_title(day.date),
                      _summary(_counts([e.status for e in day.entries], len(day.dropped)), day.previous))


@dataclass(frozen=True, slots=True)
class DaySummary:
    """What lists of days (the archive, the home page's earlier days) show about a day."""

    date: dt.date
    title: str
    summary: str


@dataclass(frozen=True, slots=True)
class TopicSummary:
    """What a topic page or the topics index shows about a topic besides its papers."""

    slug: str
    title: str
    description: str
    count: int | None  #: papers in the topic (None on archive pages, which must not change with it)


@dataclass(frozen=True, slots=True)
class TopicPage:
    slug: str
    title: str
    description: str
    items: Sequence[ListedPaper]  #: most recently and highly trending first (a tuple, or ``ListedItems``)

    @property
    def summary(self) -> TopicSummary:
        return TopicSummary(self.slug, self.title, self.description, len(self.items))


_BEFORE_TERMS = tuple(ListedPaper.__dataclass_fields__)[:-1]
assert tuple(ListedPaper.__dataclass_fields__)[-1] == "terms"


@dataclass(frozen=True, slots=True)
class TopicSlice:
    """One page of a topic: its newest papers (``number`` 0), or page ``number`` of its archive."""

    topic: TopicSummary
    items: tuple[ListedPaper, ...]  #: most recently trending first
    number: int  #: 0 for the topic's own page; archive pages count from the topic's oldest papers
    #: On the topic's own page, how many archive pages there are; 0 on an archive page, which must
    #: not change as the topic grows (only whether it is the newest one).
    archive: int
    newest: bool = False  #: an archive page next to the topic's own page

    @property
    def first(self) -> dt.date:
        """When the page's least recently trending paper last trended."""
        return self.items[-1].last_seen

    @property
    def last(self) -> dt.date:
        return self.items[0].last_seen


@lru_cache(maxsize=4096)  # a day's build asks for each page of a topic, before and after the day
def slice_ranges(count: int, size: int) -> tuple[tuple[int, int, bool, int, int], ...]:
    """How ``topic_slices`` cuts ``count`` papers (newest first) into pages of ``size``: for each
    page, its number, archive count, whether it is the newest archive page, and the range of
    its papers, newest first."""
    archive = 0 if count <= size else (count - size - 1) // size + 1
    ranges = [(0, archive, False, 0, min(size, count))]
    for number in range(1, archive + 1):
        # Numbered from the oldest paper: page N holds the N-th ``size`` papers counted from the oldest,
        # but the newest archive page leaves out those the topic's own page shows (1 to ``size`` are left).
        ranges.append((number, 0, number == archive, max(size, count - number * size), count - (number - 1) * size))
    return tuple(ranges)


def archive_bounds(count: int, size: int) -> list[tuple[int, int, int]]:
    """For each archive page of a topic of ``count`` papers, oldest first: its number and the
    indexes of its newest and oldest paper."""
    return [(number, start, stop - 1) for number, _, _, start, stop in slice_ranges(count, size) if number]


def topic_slices(page: TopicPage, size: int,
                 wanted: Callable[[int], bool] = lambda number: True) -> list[TopicSlice]:
    """A topic cut into pages of ``size`` papers: its own page with the newest, then its archive
    (those whose number is ``wanted``).

    The archive is numbered from the oldest paper, so that a new day changes only the
    archive pages of papers that moved, not every page after them; its newest page
    holds what is left between them and the topic's own page.  Each paper is on one
    page.  An archive
    page's summary has no count: it must not change as the topic grows."""
    archived = TopicSummary(page.slug, page.title, page.description, None)
    return [TopicSlice(page.summary if number == 0 else archived, tuple(page.items[start:stop]), number, archive,
                       newest)
            for number, archive, newest, start, stop in slice_ranges(len(page.items), size) if wanted(number)]


def day_title(date: dt.date) -> str:
    return f"Trending papers — {short_date(date)}"


def topic_links(paper: Paper, topic_titles: dict[str, str]) -> tuple[TopicLink, ...]:
    return (tuple(topic_link(m.topic, topic_titles[m.topic]) for m in paper.topics)
            or (topic_link(OTHER_TOPIC, topic_titles.get(OTHER_TOPIC, OTHER_TITLE)),))


def listed_paper(paper: Paper, topic_titles: dict[str, str], *, history: bool = True,
                 links: tuple[TopicLink, ...] | None = None, **place) -> ListedPaper:
    """A paper as a list shows it; ``place`` sets its rank, status and counts on one day.
    ``links`` are its topic links when already made (a paper is listed many times)."""
    return ListedPaper(
        key=paper.key, slug=paper.slug, path=urls.paper_path(paper.slug), title=paper.title,
        who=who(paper.organization, paper.authors), published=paper.published,
        comments=place.pop("comments", paper.latest_comments),
        upvotes=place.pop("upvotes", paper.latest_upvotes),
        abstract=paper.abstract,
        topics=links if links is not None else topic_links(paper, topic_titles),
        first_seen=paper.first_seen if history else None, last_seen=paper.last_seen if history else None,
        appearances=len(paper.appearances) if history else 0, best_rank=paper.best_rank if history else 0,
        arxiv_id=paper.arxiv_id, **place,
    )


class DayPages(Sequence[DayPage]):
    """The page of every list day, oldest first, each made when first read: a day's rebuild of a
    long archive needs a few of them."""

    def __init__(self, library: Library):
        self.library = library
        self._titles = {t.slug: t.title for t in library.topics}
        self._links: dict[str, tuple[TopicLink, ...]] = {}
        self._pages: dict[int, DayPage] = {}

    def __len__(self) -> int:
        return len(self.library.days)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        page = self._pages.get(index)
        if page is None:
            page = self._pages[index] = self._make(index)
        return page

    def _listed(self, key: str, **place) -> ListedPaper:
        paper = self.library.papers[key]
        links = self._links.get(key)
        if links is None:
            links = self._links[key] = topic_links(paper, self._titles)
        return listed_paper(paper, self._titles, history=False, links=links, **place)

    def _make(self, index: int) -> DayPage:
        days = self.library.days
        day = days[index]
        items = tuple(self._listed(e.paper, rank=e.rank, status=e.status, previous_rank=e.previous_rank,
                                   comments=e.comments, upvotes=e.upvotes) for e in day.entries)
        dropped = tuple(self._listed(d.paper, rank=d.previous_rank, comments=None, upvotes=None) for d in day.dropped)
        following = days[index + 1].date if index + 1 < len(days) else None
        return DayPage(day.date, day_title(day.date), day.sources, items, dropped, day.previous, following)


def day_pages(library: Library) -> DayPages:
    """One page per list day, oldest first."""
    return DayPages(library)


class ListedItems(Sequence[ListedPaper]):
    """A topic's papers as its pages list them, each made when first read: a topic of a long
    archive holds thousands, and a day's rebuild shows a few dozen of them.  Compares and hashes
    as the tuple of its items."""

    def __init__(self, keys: Sequence[str], make: Callable[[str], ListedPaper]):
        self.keys, self._make = tuple(keys), make
        self._items: dict[int, ListedPaper] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self.keys))))
        if index < 0:
            index += len(self.keys)
        item = self._items.get(index)
        if item is None:
            item = self._items[index] = self._make(self.keys[index])  # IndexError past the end
        return item

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ListedItems, tuple)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))


def topic_pages(library: Library) -> list[TopicPage]:
    titles = {t.slug: t.title for t in library.topics}
    listed: dict[str, ListedPaper] = {}
    own: dict[str, tuple] = {}

    def item(key: str, slug: str) -> ListedPaper:
        paper = library.papers[key]
        base = listed.get(key)
        if base is None:
            base = listed[key] = listed_paper(paper, titles)
            # A paper is listed once per topic it is in, each time with that topic's terms: made from its
            # fields directly, as dataclasses.replace costs three times as much (seconds on a long archive).
            own[key] = tuple(getattr(base, name) for name in _BEFORE_TERMS)
        terms = next((m.terms for m in paper.topics if m.topic == slug), ())
        return ListedPaper(*own[key], terms) if terms else base

    return [TopicPage(topic.slug, topic.title, topic.description,
                      ListedItems(topic.papers, lambda key, slug=topic.slug: item(key, slug)))
            for topic in library.topics]


# --- Markdown ---------------------------------------------------------------------------------


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter when it is there: faster
    """Values written out in full, never as an anchor and alias: whether two equal values are one
    object (two papers last seen on one day) depends on how the model was made, and the same
    content must give the same bytes."""

    def ignore_aliases(self, data) -> bool:
        return True

    def represent_str(self, data: str):
        # PyYAML quotes what YAML 1.1 reads as another type; other readers of the pages (Hugo's, on
        # YAML 1.2 or 1.1 in full) read more as numbers and booleans: "1e3", "0o17", "y", "off".
        if _MAYBE_NOT_TEXT.match(data) and data.isprintable():  # else PyYAML quotes it anyway, escaped
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        return super().represent_str(data)


#: Text that some YAML reader may take for a number, a boolean, a null or a date: what starts with a
#: digit, a sign or a dot, and the words YAML 1.1 and 1.2 give another type.
_MAYBE_NOT_TEXT = re.compile(r"[0-9+\-.]|(?:y|n|yes|no|true|false|on|off|null|~)$", re.IGNORECASE)
_Dumper.add_representer(str, _Dumper.represent_str)


def at_its_own_name(path: str, front: str) -> bool:
    """Whether a generated Markdown page at ``path`` (in the content folder), whose front matter
    is ``front``, is where digest writes the page it describes: a day's at dates/DATE.md, a
    topic's at topics/SLUG.md and its archive page N at topics/SLUG/page-N.md.  A copy under
    another name (dates/2026-01-19-annotated.md, topics/llm-inference-backup.md) is the user's.
    Only the front matter's nodes are read: no value of it is made."""
    try:
        root = yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return False
    if not isinstance(root, yaml.MappingNode):
        return False
    fields = {key.value: value.value for key, value in root.value
              if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode)}
    if fields.get("type") == "day":
        try:
            return path == urls.markdown_date_page(dt.date.fromisoformat(fields.get("date", "")))
        except ValueError:
            return False
    number = fields.get("page", "0")
    if fields.get("type") == "topic" and fields.get("topic") and number.isdigit() and number.isascii():
        return path == urls.markdown_topic_slice(fields["topic"], int(number))
    return False


def front_matter(data: dict) -> str:
    """YAML front matter between ``---`` lines; keys in the given order, safe for any text."""
    return "---\n" + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000) + "---\n"


def _meta_line(item: ListedPaper, *, with_status: bool) -> str:
    parts = []
    if with_status and item.movement:
        word = item.movement
        parts.append(f"**{word.capitalize()}**" if item.status in (NEW, RETURNING) else
                     f"{word.capitalize()} (was #{item.previous_rank})" if word != "same place" else "Same place")
    facts = list(item.facts)  # as the site, the feeds and the e-mail give them
    if item.who:
        facts[0] = escape_markdown(item.who)
    return " · ".join(parts + facts)


def day_markdown(page: DayPage) -> str:
    """The Markdown file of a list day."""
    meta = {
        "title": page.title,
        "date": page.date,
        "type": "day",
        "sources": list(page.sources),
        "previous": page.previous,
        "next": page.next,
        "counts": page.counts,
        "papers": [item.slug for item in page.items],
        "dropped": [item.slug for item in page.dropped],
        "generator": GENERATOR,
    }
    lines = [front_matter(meta), f"# Trending papers — {weekday_date(page.date)}", "", page.summary + ".", ""]
    for item in page.items:
        lines += [f"## {item.rank}\\. {escape_markdown(item.title)}", ""]
        lines += [_meta_line(item, with_status=True) + "  ", f"Topics: {escape_markdown(item.topic_titles)}", "",
                  escape_markdown(item.abstract), ""]
    if page.dropped:
        assert page.previous is not None
        lines += [f"## Dropped since {long_date(page.previous)}", ""]
        lines += [f"- {escape_markdown(item.title)} (was #{item.rank})" for item in page.dropped]
        lines.append("")
    # The day before and after, as the site's pager links them: the pages read on their own too.
    here = urls.markdown_date_page(page.date)
    links = [f"[{label}]({urls.relative_link(here, urls.markdown_date_page(day))})"
             for day, label in ((page.previous, f"← {long_date(page.previous)}"), (page.next, f"{long_date(page.next)} →"))
             if day is not None]
    if links:
        lines += [" · ".join(links), ""]
    return "\n".join(lines)


#: Characters of each abstract on a topic's Markdown page (the HTML topic page shows as many).
TOPIC_EXCERPT_CHARS = 320


def topic_markdown(page: TopicSlice) -> str:
    """The Markdown file of a topic (its newest papers), or of one page of its archive."""
    topic = page.topic
    archive = [urls.markdown_topic_archive_page(topic.slug, n) for n in range(page.archive, 0, -1)]  # own page only
    meta: dict = {"title": topic.title, "topic": topic.slug, "type": "topic", "description": topic.description}
    if page.number:
        meta.update({"page": page.number, "first": page.first, "last": page.last})
    else:
        meta["counts"] = {"papers": topic.count}
    meta["papers"] = [item.slug for item in page.items]
    if archive and not page.number:
        meta["archive"] = archive
    meta["generator"] = GENERATOR
    title = escape_markdown(topic.title)
    if page.number:
        lines = [front_matter(meta), f"# {title}: archive page {page.number}", ""]
        lines += [f"Papers that last trended on {long_date(page.first)}." if page.first == page.last else
                  f"Papers that last trended between {long_date(page.first)} and {long_date(page.last)}, "
                  "most recent first.", ""]
    else:
        lines = [front_matter(meta), f"# {title}", ""]
        if topic.description:
            lines += [escape_markdown(topic.description), ""]
        lines += [f"{plural(topic.count, 'paper')}, most recently trending first." if topic.count else
                  "No papers yet: none of the site's papers matches this topic.", ""]
    for item in page.items:
        lines += [f"## {escape_markdown(item.title)}", ""]
        seen = (f"seen {short_date(item.first_seen)}" if item.first_seen == item.last_seen
                else f"seen {short_date(item.first_seen)} to {short_date(item.last_seen)}")
        parts = [p for p in (_meta_line(item, with_status=False), seen,
                             f"best rank #{item.best_rank}", plural(item.appearances, "appearance")) if p]
        lines.append(" · ".join(parts) + "  ")
        if item.terms:
            lines.append(f"Matched: {escape_markdown(', '.join(item.terms))}")
        # The start of the abstract, as on the topic's HTML page: the whole abstract is on its day's page.
        lines += ["", escape_markdown(excerpt(item.abstract, TOPIC_EXCERPT_CHARS)[0]), ""]
    here = urls.markdown_topic_slice(topic.slug, page.number)
    links = []
    if page.number:
        newer = (urls.markdown_topic_page(topic.slug) if page.newest
                 else urls.markdown_topic_archive_page(topic.slug, page.number + 1))
        links.append(f"[Newer papers]({urls.relative_link(here, newer)})")
    older_number = page.number - 1 if page.number else page.archive
    if older_number:
        older = urls.markdown_topic_archive_page(topic.slug, older_number)
        links.append(f"[Older papers]({urls.relative_link(here, older)})")
    if links:
        lines += [" · ".join(links), ""]
    return "\n".join(lines)
