"""Combine resolved snapshots into a Library: one Paper per identity, one Day per list day.

A paper is known by its arXiv id when any snapshot gives one, else by its
normalised title; a title-only card joins the paper with an arXiv id that has
the same title.  Several snapshots of the same day are merged into one Day.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from pathlib import PurePath
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from slugify import slugify

from digest.config import OTHER_TOPIC, TopicConfig
from digest.models import (
    NEW, RETURNING, TRENDING, Appearance, Card, Day, DayEntry, DroppedEntry,
    Library, Paper, Snapshot, Topic, TopicMatch, normalise_title,
)
from digest.lazy import Joined, Overlay
from digest.topics import MatchBudget, match_topics

#: When several snapshots of one day are merged, the longest list leads the ranking;
#: between lists of equal length, the richest format.
FORMAT_PRIORITY = {"json": 0, "html": 1, "text": 2}
OTHER_TITLE = "Other"
OTHER_DESCRIPTION = "Papers that match none of the topics."


#: The arXiv ids seen with a title: (list day, id) for each id on each day it is seen with that
#: title, by day, then in the order of the snapshots and their cards.
Sightings = tuple[tuple[dt.date, str], ...]


def arxiv_ids_by_title(snapshots: Sequence[Snapshot]) -> dict[str, Sightings]:
    """Normalised title -> the arXiv ids that cards with that title give, and on which days."""
    seen: dict[str, dict[tuple[dt.date, str], None]] = defaultdict(dict)
    for snapshot in sorted(snapshots, key=lambda s: s.date):
        for card in snapshot.cards:
            if card.arxiv_id:
                seen[normalise_title(card.title)].setdefault((snapshot.date, card.arxiv_id))
    return {title: tuple(pairs) for title, pairs in seen.items()}


def _title_key(title: str, sightings: Sightings, date: dt.date) -> str:
    """The key of a card of ``date`` without an arXiv id: that of the paper of its title the same
    day's cards give an id (a text dump and an API answer of one day list the same papers), else
    the one seen last before that day, else the one seen first after it; else the title's.
    Days added later change none of these for the days before them: the cards of a day keep
    their paper, and its page, when a later paper has the same title."""
    same = [i for d, i in sightings if d == date]
    if same:
        return f"arxiv:{same[0]}"
    before = [d for d, _ in sightings if d < date]
    if before:
        return f"arxiv:{next(i for d, i in sightings if d == before[-1])}"
    after = [i for d, i in sightings if d > date]
    return f"arxiv:{after[0]}" if after else f"title:{title}"


def identity_resolver(ids_by_title: Mapping[str, Sightings]):
    """A function (card, its list day) -> paper key, joining title-only cards to the arXiv id of
    the same title (see ``_title_key``)."""
    keys: dict[tuple[str, dt.date], str] = {}  # a paper's cards of a day have the same title

    def key(card: Card, date: dt.date) -> str:
        if card.arxiv_id:
            return f"arxiv:{card.arxiv_id}"
        known = keys.get((card.title, date))
        if known is None:
            title = normalise_title(card.title)
            known = keys[card.title, date] = _title_key(title, ids_by_title.get(title, ()), date)
        return known

    return key


@dataclass(frozen=True, slots=True)
class _Placed:
    """A paper placed on a merged day, with every card of that day that shows it (leading one first)."""

    key: str
    rank: int
    cards: tuple[Card, ...]
    source: str

    def first(self, field: str):
        """The first value of a field that any of the day's cards has."""
        return next((getattr(c, field) for c in self.cards if getattr(c, field) is not None), None)


def merge_day(snapshots: Sequence[Snapshot], key) -> list[_Placed]:
    """One ranked list from the snapshots of one day: the longest list's order, then papers only the others show."""
    # The longest list counts papers, not cards: a card shown twice is one paper.
    ordered = snapshots if len(snapshots) == 1 else sorted(snapshots, key=lambda s: (
        -len({key(card) for card in s.cards}), FORMAT_PRIORITY.get(s.format, 9), s.source))
    ranks: dict[str, int] = {}
    cards: dict[str, list[Card]] = defaultdict(list)
    sources: dict[str, str] = {}
    for snapshot in ordered:
        name = PurePath(snapshot.source).name
        for card in snapshot.cards:
            k = key(card)
            if k not in ranks:
                ranks[k] = len(ranks) + 1
                sources[k] = name
            cards[k].append(card)
    return [_Placed(k, rank, tuple(cards[k]), sources[k]) for k, rank in ranks.items()]


def match_each(texts: Sequence[tuple[str, str, tuple[str, ...] | None]],
               topics: Sequence[TopicConfig]) -> list[tuple[TopicMatch, ...]]:
    """The topics of each (title, abstract, keywords), by ``match_topics``."""
    budget = MatchBudget()
    return [match_topics(title, abstract, topics, keywords, budget) for title, abstract, keywords in texts]


@dataclass(frozen=True)
class LibraryState:
    """A library, and what it was made from beyond its own data: kept between builds, so that
    new days extend it (``extend_library``) instead of it being made again from every snapshot."""

    library: Library
    ids_by_title: Mapping[str, Sightings] = field(default_factory=dict)  #: see ``arxiv_ids_by_title``
    #: paper key -> slug before collisions, decided when the paper is first seen (see ``first_slug``)
    wanted_slugs: Mapping[str, str] = field(default_factory=dict)
    #: paper key -> what a hashed slug of it is made from: its identity when first seen (see ``first_slug``)
    slug_bases: Mapping[str, str] = field(default_factory=dict)


EMPTY = LibraryState(Library(days=()))


@dataclass(frozen=True)
class Extension:
    """A library extended by new days, and what that changed."""

    state: LibraryState
    papers: frozenset[str]  #: keys of the papers that are new or changed (seen again, or given a new slug)
    days: tuple[dt.date, ...]  #: the new days


#: Card fields that a paper takes from its latest card that has them (the richest data wins).
CARD_FIELDS = ("title", "abstract", "organization", "authors", "published", "arxiv_id", "url", "author_names",
               "github", "github_stars", "project_page", "thumbnail", "keywords")


def build_library(snapshots: Sequence[Snapshot], topics: Sequence[TopicConfig], *,
                  match_all=match_each) -> Library:
    """The whole model: papers with their histories, days with new/returning/dropped, topics.

    ``match_all`` assigns topics to all papers at once (``match_each``, or a
    cached or parallel version of it)."""
    extension = extend_library(EMPTY, snapshots, topics, match_all=match_all)
    assert extension is not None  # nothing comes before an empty library
    return extension.state.library


def extend_library(state: LibraryState, snapshots: Sequence[Snapshot], topics: Sequence[TopicConfig], *,
                   match_all=match_each) -> Extension | None:
    """The library of ``state`` with the days of ``snapshots`` added after its own, or None when
    they cannot simply be added: a day not after the library's last, or an arXiv id that would
    join cards of earlier days to another paper.  Then the library must be built again from all
    snapshots.  From ``EMPTY`` this is ``build_library``; the library it gives is the one that
    ``build_library`` gives for all the snapshots together.

    Papers that are not on the new days and keep their slug are taken from ``state`` as they
    are (they may stay pickled: see digest.lazy)."""
    old = state.library
    last = old.days[-1].date if old.days else None
    if last is not None and any(snapshot.date <= last for snapshot in snapshots):
        return None
    ids_by_title = state.ids_by_title
    new_ids = arxiv_ids_by_title(snapshots)
    if new_ids:
        merged = dict(ids_by_title)
        for title, ids in new_ids.items():
            before = ids_by_title.get(title, ())
            after = before + ids  # of days after all of before's
            # An earlier card without an id whose title now resolves to an id: rebuild.
            if not before and f"title:{title}" in old.papers:
                return None
            merged[title] = after
        ids_by_title = merged
    key = identity_resolver(ids_by_title)

    by_date: dict[dt.date, list[Snapshot]] = defaultdict(list)
    for snapshot in snapshots:
        by_date[snapshot.date].append(snapshot)
    drafts: dict[str, dict] = {}  # paper key -> its fields so far
    appearances: dict[str, list[Appearance]] = defaultdict(list)
    wanted = dict(state.wanted_slugs)  # in the order first seen: see assign_slugs
    bases = dict(state.slug_bases)
    days: list[Day] = []
    previous: dict[str, int] = {e.paper: e.rank for e in old.days[-1].entries} if old.days else {}
    previous_date = last
    for date in sorted(by_date):
        day_snapshots = by_date[date]
        placed = merge_day(day_snapshots, functools.partial(key, date=date))
        entries = []
        for item in placed:
            if item.key in previous:
                status = TRENDING
            elif item.key in drafts or item.key in old.papers:
                status = RETURNING
            else:
                status = NEW
            comments, upvotes = item.first("comments"), item.first("upvotes")
            entries.append(DayEntry(item.key, item.rank, status, previous.get(item.key), comments, upvotes))
            draft = drafts.get(item.key)
            if draft is None:
                draft = drafts[item.key] = _draft(old.papers.get(item.key))
            # Poorer cards first, so that the richest card of the day has the last word.
            for card in reversed(item.cards):
                _take(draft, card)
            if item.key not in wanted:
                wanted[item.key], bases[item.key] = first_slug(item.key, draft["title"], item.cards)
            appearances[item.key].append(Appearance(date, item.rank, comments, upvotes, item.source))
        current = {item.key: item.rank for item in placed}
        dropped = tuple(DroppedEntry(k, rank) for k, rank in sorted(previous.items(), key=lambda kv: kv[1])
                        if k not in current)
        days.append(Day(date, tuple(sorted(PurePath(s.source).name for s in day_snapshots)), tuple(entries), dropped,
                        previous_date))
        previous, previous_date = current, date

    slugs = assign_slugs(wanted, bases)
    # Only a paper that wants a new slug can make other papers' slugs collide, or stop colliding.
    old_slugs = (assign_slugs(state.wanted_slugs, state.slug_bases) if old.papers and any(
        wanted[k] != state.wanted_slugs.get(k) for k in drafts) else None)
    touched = sorted(drafts)
    texts = [(drafts[k]["title"], drafts[k]["abstract"] or "", drafts[k]["keywords"]) for k in touched]
    changed: dict[str, Paper] = {}
    for k, found in zip(touched, match_all(texts, topics)):
        before = old.papers.get(k)
        changed[k] = _make_paper(k, slugs[k], drafts[k], (*(before.appearances if before else ()), *appearances[k]),
                                 found)
    # A paper whose wanted slug changed can free a slug another paper had to hash, or take one.
    for k, slug in (old_slugs or {}).items():
        if k not in changed and slugs[k] != slug:
            changed[k] = replace(old.papers[k], slug=slugs[k])

    library = Library(
        days=Joined(old.days, days) if old.days else tuple(days),
        papers=Overlay(old.papers, changed) if old.papers else dict(sorted(changed.items())),
        topics=_collect_topics(old.topics, [changed[k] for k in touched], topics),
    )
    new_state = LibraryState(library, ids_by_title, wanted, bases)
    return Extension(new_state, frozenset(changed), tuple(day.date for day in days))


def _draft(paper: Paper | None) -> dict:
    """A paper's card fields, to be updated by newer cards."""
    if paper is None:
        return dict.fromkeys(CARD_FIELDS)
    return {name: getattr(paper, name) for name in CARD_FIELDS}


def _take(draft: dict, card: Card) -> None:
    """Update a paper's fields with those a newer card has."""
    for name in CARD_FIELDS:
        value = getattr(card, name)
        if value not in (None, "", ()):
            draft[name] = value.to_date() if name == "published" else value


def _make_paper(key: str, slug: str, fields: dict, appearances: tuple[Appearance, ...],
                topics: tuple[TopicMatch, ...]) -> Paper:
    return Paper(key=key, slug=slug, **{**fields, "abstract": fields["abstract"] or ""},
                 appearances=appearances, topics=topics)


_PLAIN_ID = re.compile(r"[0-9a-z.]+")


def wanted_slug(key: str, title: str) -> str:
    """A paper's page name before collisions are resolved: its arXiv id, else its title slugified."""
    if key.startswith("arxiv:"):
        identifier = key.removeprefix("arxiv:")
        # What slugify makes of an id of these characters alone, as nearly all are: the id itself.
        if _PLAIN_ID.fullmatch(identifier):
            return identifier
        return slugify(identifier, lowercase=True, regex_pattern=r"[^-a-z0-9.]+")
    slug = slugify(title, max_length=MAX_TITLE_SLUG, word_boundary=True)
    whole = slugify(title)
    # slugify keeps the words that fit, leaving out any longer one ("...-cuda-and" for "...-cuda-
    # transpilation-and-..."): published addresses, so kept.  But where that leaves most of the
    # title out (a first word longer than the limit, a long word after a short one), cut in the word.
    if len(slug) < min(len(whole), MAX_TITLE_SLUG) // 2:
        slug = whole[:MAX_TITLE_SLUG].rstrip("-")
    return slug or "paper"


#: A title's slug is cut to this many characters, at a word's end where there is one.
MAX_TITLE_SLUG = 80


def moved_papers(slugs: Mapping[str, str]) -> dict[str, str]:
    """Paper key -> its arXiv id's page name, for each paper with an id whose page is named
    otherwise (it was first seen without one), where no paper's page has that name.

    An older day added later can rename a paper's page this way: the day it is first seen then
    shows no id.  The build leaves a page at the id's address that leads to the paper, so that a
    link sent before (in an e-mail, a feed) still reaches it.  ``slugs`` is each paper's page name."""
    taken = set(slugs.values())
    moved = {}
    for key, slug in slugs.items():
        if key.startswith("arxiv:") and (by_id := wanted_slug(key, "")) != slug and by_id not in taken:
            moved[key] = by_id
    return moved


def first_slug(key: str, title: str, cards: Sequence[Card]) -> tuple[str, str]:
    """The page name a paper wants, from the day it is first seen, for good: its arXiv id if that
    day's cards show one, else its title then; and what a hashed name of it is made from, its
    identity then.  A paper first seen without an id keeps its title's page when an id for it
    comes later (links in e-mails already sent, feed ids), as it keeps it when its title is revised."""
    if any(card.arxiv_id for card in cards):
        return wanted_slug(key, title), key
    return wanted_slug("", title), f"title:{normalise_title(title)}"


def assign_slugs(wanted: Mapping[str, str], bases: Mapping[str, str] | None = None) -> dict[str, str]:
    """A unique, URL-safe page name per paper key, from its ``wanted_slug``; ``wanted`` lists the
    papers in the order they were first seen.

    Of papers that want the same slug, the first seen keeps it and each later one gets a short
    hash of its identity when first seen (``bases``, by key; default the key): a published page
    keeps its address when a later paper's title is cut to the same slug, or when an arXiv id for
    it comes later.  A hashed slug that some paper wants, or that two papers get, takes more digits.
    """
    bases = bases or {}
    counts = Counter(wanted.values())
    first: dict[str, str] = {}
    for k, slug in wanted.items():
        first.setdefault(slug, k)
    digits = {k: 6 for k, slug in wanted.items() if first[slug] != k}
    hashes = {k: hashlib.sha1(bases.get(k, k).encode()).hexdigest() for k in digits}
    # Every wanted name stays taken (a title can slugify to "foo-a-c7fa7d"), and all clashing
    # hashed slugs get longer at once.  This ends: past 40 digits two keys' hashes differ, and
    # the hash is repeated past that so that it outgrows every wanted name.
    while True:
        hashed = {k: f"{wanted[k]}-{(hashes[k] * (n // 40 + 1))[:n]}" for k, n in digits.items()}
        clashes = Counter(hashed.values())
        longer = [k for k, slug in hashed.items() if slug in counts or clashes[slug] > 1]
        if not longer:
            return {k: hashed.get(k, slug) for k, slug in wanted.items()}
        for k in longer:
            digits[k] += 1


def _trend_order(paper: Paper) -> tuple:
    """Most recently seen first, then highest rank on that day."""
    last = paper.appearances[-1]
    return (-last.date.toordinal(), last.rank, paper.title.casefold())


def _collect_topics(previous: Sequence[Topic], changed: Sequence[Paper],
                    topics: Sequence[TopicConfig]) -> tuple[Topic, ...]:
    """Every topic's papers, most recently trending first.  ``changed`` are the papers seen on the
    new days: they trend after every other paper, so they come first, in their own order, and the
    others keep theirs."""
    members: dict[str, list[Paper]] = defaultdict(list)
    for paper in changed:
        for match in paper.topics or ():
            members[match.topic].append(paper)
        if not paper.topics:
            members[OTHER_TOPIC].append(paper)
    moved = {paper.key for paper in changed}
    before = {topic.slug: topic.papers for topic in previous}

    def papers(slug: str) -> tuple[str, ...]:
        return (*(p.key for p in sorted(members[slug], key=_trend_order)),
                *(k for k in before.get(slug, ()) if k not in moved))

    result = [Topic(t.slug, t.title, t.description, papers(t.slug)) for t in topics]
    other = papers(OTHER_TOPIC)
    if other:
        result.append(Topic(OTHER_TOPIC, OTHER_TITLE, OTHER_DESCRIPTION, other))
    return tuple(result)
