"""Plain data for every stage of the build: frozen dataclasses, no I/O.

Parsers produce ``ParsedSnapshot``; ``digest.dates`` turns those into
``Snapshot`` (list day known, every card date complete); ``digest.library``
combines snapshots into a ``Library`` of ``Paper`` and ``Day`` records.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field


def _reduce_by_fields(self):
    """Pickle a slots dataclass as a call of its constructor.  By default it is restored field by
    field through ``dataclasses.fields``, which made reading the cached snapshots of a long
    archive (tens of thousands of cards) twice as slow."""
    return type(self), tuple(getattr(self, name) for name in self.__slots__)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date as the page prints it: the year is left out when it is the list's year."""

    month: int
    day: int
    year: int | None = None

    def with_year(self, year: int) -> "PartialDate":
        return self if self.year is not None else PartialDate(self.month, self.day, year)

    def to_date(self) -> dt.date:
        """The full date; only valid once the year is known."""
        if self.year is None:
            raise ValueError("year not resolved")
        return dt.date(self.year, self.month, self.day)

    def text(self) -> str:
        """The date as the page shows it, e.g. ``May 14`` or ``Nov 7, 2024``."""
        base = f"{MONTHS[self.month - 1]} {self.day}"
        return base if self.year is None else f"{base}, {self.year}"

    __reduce__ = _reduce_by_fields


@dataclass(frozen=True, slots=True)
class Organization:
    """The organization pill on a card: hub handle and display name."""

    handle: str
    name: str

    __reduce__ = _reduce_by_fields


@dataclass(frozen=True, slots=True)
class Card:
    """One paper as one snapshot shows it."""

    rank: int  #: 1-based position in the list
    title: str
    abstract: str
    organization: Organization | None = None
    authors: int | None = None  #: author count, when the card shows it
    published: PartialDate | None = None  #: arXiv publication date
    comments: int | None = None  #: the counter after the date
    upvotes: int | None = None
    arxiv_id: str | None = None
    url: str | None = None  #: the paper's page on the hub
    line: int = 0  #: line of the title in the source file (0 when not line-based)
    author_names: tuple[str, ...] | None = None
    github: str | None = None  #: repository URL
    github_stars: int | None = None
    project_page: str | None = None
    thumbnail: str | None = None
    keywords: tuple[str, ...] | None = None  #: the hub's ai_keywords

    __reduce__ = _reduce_by_fields


@dataclass(frozen=True, slots=True)
class ParsedSnapshot:
    """What a parser read from one file, before the list day's year is known."""

    source: str  #: file name as given (used in messages and for date evidence)
    format: str  #: "text", "html" or "json"
    list_day: PartialDate | None  #: the day the list was shown, as printed
    list_day_line: int
    cards: tuple[Card, ...]
    #: Whether the cards' dates are as the page prints them, with a year only for another year's
    #: date; False where they come from data (the API, hydration), which always gives the year.
    years_printed: bool = True
    #: Warnings about the cards, given with the snapshot whenever it is read (see parse.merged_card_notes).
    notes: tuple[str, ...] = ()

    __reduce__ = _reduce_by_fields


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A snapshot whose list day is known and whose card dates are complete."""

    source: str
    format: str
    date: dt.date
    date_source: str  #: filename | option | content | other-snapshots | assumed
    cards: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class Appearance:
    """A paper on one list day."""

    date: dt.date
    rank: int
    comments: int | None
    upvotes: int | None
    source: str


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """Why a paper belongs to a topic: its score and the terms that matched."""

    topic: str  #: topic slug
    score: float
    terms: tuple[str, ...]

    __reduce__ = _reduce_by_fields


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper across all snapshots, with the richest data any of them gave."""

    key: str  #: identity: ``arxiv:<id>`` or ``title:<normalised title>``
    slug: str  #: URL-safe name of its page
    title: str
    abstract: str
    organization: Organization | None
    authors: int | None
    published: dt.date | None
    arxiv_id: str | None
    url: str | None
    appearances: tuple[Appearance, ...]  #: oldest first
    topics: tuple[TopicMatch, ...] = ()  #: best first; empty means "Other"
    author_names: tuple[str, ...] | None = None
    github: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    thumbnail: str | None = None
    keywords: tuple[str, ...] | None = None

    @property
    def first_seen(self) -> dt.date:
        return self.appearances[0].date

    @property
    def last_seen(self) -> dt.date:
        return self.appearances[-1].date

    @property
    def best_rank(self) -> int:
        return min(a.rank for a in self.appearances)

    @property
    def latest_comments(self) -> int | None:
        for appearance in reversed(self.appearances):
            if appearance.comments is not None:
                return appearance.comments
        return None

    @property
    def latest_upvotes(self) -> int | None:
        for appearance in reversed(self.appearances):
            if appearance.upvotes is not None:
                return appearance.upvotes
        return None


#: Status of a paper on a list day, compared with the earlier days.
NEW, RETURNING, TRENDING = "new", "returning", "trending"


@dataclass(frozen=True, slots=True)
class DayEntry:
    """A paper's place on one list day."""

    paper: str  #: Paper.key
    rank: int
    status: str  #: NEW (never seen before), RETURNING (seen, but not on the previous day) or TRENDING
    previous_rank: int | None  #: rank on the previous list day, if it was there
    comments: int | None
    upvotes: int | None


@dataclass(frozen=True, slots=True)
class DroppedEntry:
    """A paper on the previous list day that this day no longer shows."""

    paper: str
    previous_rank: int


@dataclass(frozen=True, slots=True)
class Day:
    """One list day: the merged snapshots of that date and how they differ from the day before."""

    date: dt.date
    sources: tuple[str, ...]
    entries: tuple[DayEntry, ...]
    dropped: tuple[DroppedEntry, ...]
    previous: dt.date | None

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic from topics.yaml, with the keys of the papers it holds (newest trend first)."""

    slug: str
    title: str
    description: str
    papers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Library:
    """Everything the pages are made from."""

    days: tuple[Day, ...]  #: oldest first
    papers: dict[str, Paper] = field(default_factory=dict)
    topics: tuple[Topic, ...] = ()  #: in topics.yaml order, "Other" last when used


def normalise_title(title: str) -> str:
    """A title reduced to what identifies it: case, accents, punctuation and spacing removed."""
    text = unicodedata.normalize("NFKD", title)
    if not text.isascii():  # most titles are ASCII: no accents to strip
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold()
    # "+" and "#" right after a word are part of its name ("C++", "C#", "F#"): "C++ Kernels" and
    # "C Kernels" are two papers.  A title of punctuation alone ("???") is its own: reduced to
    # nothing, all such would be one paper.
    return " ".join(_TITLE_WORD_RE.findall(text)) or " ".join(title.split())


_TITLE_WORD_RE = re.compile(r"[^\W_]+(?:[+#]+(?![^\W_]))?")
