"""Combine resolved snapshots into a Library: one Paper per identity, one Day per list day.

A paper is known by its arXiv id when any snapshot gives one, else by its
normalised title; a title-only card joins the paper with an arXiv id that has
the same title.  Several snapshots of the same day are merged into one Day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import PurePath
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from slugify import slugify

from digest.config import OTHER_TOPIC, TopicConfig
from digest.models import (
    NEW, RETURNING, TRENDING, Appearance, Card, Day, DayEntry, DroppedEntry,
    Library, Paper, Snapshot, Topic, TopicMatch, normalise_title,
)
from digest.topics import match_topics

#: When several snapshots of one day are merged, the longest list leads the ranking;
#: between lists of equal length, the richest format.
FORMAT_PRIORITY = {"json": 0, "html": 1, "text": 2}
OTHER_TITLE = "Other"
OTHER_DESCRIPTION = "Papers that match none of the topics."


def identity_resolver(snapshots: Sequence[Snapshot]):
    """A function card -> paper key, joining title-only cards to the arXiv id of the same title."""
    ids_by_title: dict[str, set[str]] = defaultdict(set)
    for snapshot in snapshots:
        for card in snapshot.cards:
            if card.arxiv_id:
                ids_by_title[normalise_title(card.title)].add(card.arxiv_id)

    keys_by_title: dict[str, str] = {}  # a paper's cards on its days have the same title

    def key(card: Card) -> str:
        if card.arxiv_id:
            return f"arxiv:{card.arxiv_id}"
        known = keys_by_title.get(card.title)
        if known is None:
            title = normalise_title(card.title)
            ids = ids_by_title.get(title, ())
            known = keys_by_title[card.title] = f"arxiv:{next(iter(ids))}" if len(ids) == 1 else f"title:{title}"
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
    ordered = sorted(snapshots, key=lambda s: (-len(s.cards), FORMAT_PRIORITY.get(s.format, 9), s.source))
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
    return [match_topics(title, abstract, topics, keywords) for title, abstract, keywords in texts]


def build_library(snapshots: Sequence[Snapshot], topics: Sequence[TopicConfig], *,
                  match_all=match_each) -> Library:
    """The whole model: papers with their histories, days with new/returning/dropped, topics.

    ``match_all`` assigns topics to all papers at once (``match_each``, or a
    cached or parallel version of it)."""
    key = identity_resolver(snapshots)
    by_date: dict[dt.date, list[Snapshot]] = defaultdict(list)
    for snapshot in snapshots:
        by_date[snapshot.date].append(snapshot)

    cards_by_key: dict[str, list[tuple[dt.date, Card]]] = defaultdict(list)
    appearances: dict[str, list[Appearance]] = defaultdict(list)
    days: list[Day] = []
    seen: set[str] = set()
    previous: dict[str, int] = {}
    previous_date: dt.date | None = None
    for date in sorted(by_date):
        day_snapshots = by_date[date]
        placed = merge_day(day_snapshots, key)
        entries = []
        for item in placed:
            if item.key in previous:
                status = TRENDING
            elif item.key in seen:
                status = RETURNING
            else:
                status = NEW
            comments, upvotes = item.first("comments"), item.first("upvotes")
            entries.append(DayEntry(item.key, item.rank, status, previous.get(item.key), comments, upvotes))
            # Poorer cards first, so that the richest card of the day has the last word.
            cards_by_key[item.key].extend((date, card) for card in reversed(item.cards))
            appearances[item.key].append(Appearance(date, item.rank, comments, upvotes, item.source))
        current = {item.key: item.rank for item in placed}
        dropped = tuple(DroppedEntry(k, rank) for k, rank in sorted(previous.items(), key=lambda kv: kv[1])
                        if k not in current)
        days.append(Day(date, tuple(sorted(PurePath(s.source).name for s in day_snapshots)), tuple(entries), dropped,
                        previous_date))
        seen.update(current)
        previous, previous_date = current, date

    slugs = assign_slugs({k: cards[-1][1].title for k, cards in cards_by_key.items()})
    keys = sorted(cards_by_key)
    texts = [(_latest(cards_by_key[k], "title"), _latest(cards_by_key[k], "abstract") or "",
              _latest(cards_by_key[k], "keywords")) for k in keys]
    papers = {
        k: _make_paper(k, slugs[k], cards_by_key[k], tuple(appearances[k]), found)
        for k, found in zip(keys, match_all(texts, topics))
    }
    return Library(days=tuple(days), papers=papers, topics=_collect_topics(papers, topics))


def _latest(cards: list[tuple[dt.date, Card]], field: str):
    """The value of a card field from the latest card that has one (the richest data wins)."""
    for _, card in reversed(cards):
        value = getattr(card, field)
        if value not in (None, "", ()):
            return value
    return None


def _make_paper(key: str, slug: str, cards: list[tuple[dt.date, Card]],
                appearances: tuple[Appearance, ...], topics: tuple[TopicMatch, ...]) -> Paper:
    title = _latest(cards, "title")
    abstract = _latest(cards, "abstract") or ""
    published = _latest(cards, "published")
    keywords = _latest(cards, "keywords")
    return Paper(
        key=key, slug=slug, title=title, abstract=abstract,
        organization=_latest(cards, "organization"),
        authors=_latest(cards, "authors"),
        published=published.to_date() if published else None,
        arxiv_id=_latest(cards, "arxiv_id"),
        url=_latest(cards, "url"),
        appearances=appearances,
        topics=topics,
        author_names=_latest(cards, "author_names"),
        github=_latest(cards, "github"),
        github_stars=_latest(cards, "github_stars"),
        project_page=_latest(cards, "project_page"),
        thumbnail=_latest(cards, "thumbnail"),
        keywords=keywords,
    )


def assign_slugs(titles: dict[str, str]) -> dict[str, str]:
    """A unique, URL-safe page name per paper key: its arXiv id, else its title slugified.

    ``titles`` maps paper keys to titles.  Two titles that slugify alike both
    get a short hash of their identity, so that a slug never depends on which
    other papers exist, except in that case.
    """
    wanted: dict[str, str] = {}
    for k, title in titles.items():
        if k.startswith("arxiv:"):
            wanted[k] = slugify(k.removeprefix("arxiv:"), lowercase=True, regex_pattern=r"[^-a-z0-9.]+")
        else:
            wanted[k] = slugify(title, max_length=80, word_boundary=True) or "paper"
    counts: dict[str, int] = defaultdict(int)
    for slug in wanted.values():
        counts[slug] += 1
    return {
        k: slug if counts[slug] == 1 else f"{slug}-{hashlib.sha1(k.encode()).hexdigest()[:6]}"
        for k, slug in wanted.items()
    }


def _trend_order(paper: Paper) -> tuple:
    """Most recently seen first, then highest rank on that day."""
    last = paper.appearances[-1]
    return (-last.date.toordinal(), last.rank, paper.title.casefold())


def _collect_topics(papers: dict[str, Paper], topics: Sequence[TopicConfig]) -> tuple[Topic, ...]:
    members: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers.values():
        for match in paper.topics or ():
            members[match.topic].append(paper)
        if not paper.topics:
            members[OTHER_TOPIC].append(paper)
    result = [
        Topic(t.slug, t.title, t.description, tuple(p.key for p in sorted(members[t.slug], key=_trend_order)))
        for t in topics
    ]
    if members[OTHER_TOPIC]:
        result.append(Topic(OTHER_TOPIC, OTHER_TITLE, OTHER_DESCRIPTION,
                            tuple(p.key for p in sorted(members[OTHER_TOPIC], key=_trend_order))))
    return tuple(result)
