"""The model kept between builds, so that a day's build extends it instead of making it again.

A build reads the content folder into a library (digest.library).  The build
cache keeps the last build's library, pickled paper by paper and day by day
(digest.lazy), with the facts the site needs of every paper and day: where a
paper's page is and when it was first and last seen (sitemap, search shards),
what its listings hold (``PaperFacts.listing``), and each day's summary and
topic counts (archive page, topic trends).

When the snapshots are the last build's, unchanged, plus new ones named by
later days, the library is extended by those days (``extend_library``) and
``Changes`` says which papers and days are new or changed: everything else
the site shows is the last build's, and is never unpickled.  Anything else (a
snapshot edited, removed or inserted before the last day, a snapshot dated
by its content rather than its name, an arXiv id that re-keys earlier cards,
new topics or code) makes the library again from every snapshot.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from digest.keys import listing_keys
from digest.lazy import StoredMapping, StoredSequence, mapping_blobs, sequence_blobs
from digest.library import LibraryState
from digest.models import Library, Topic
from digest.pages import DaySummary, day_brief

FORMAT = 5  #: of the saved model; bumped when it changes


@dataclass(frozen=True, slots=True)
class PaperFacts:
    """What the site needs of every paper, also of those a build does not touch."""

    slug: str
    first_seen: dt.date
    last_seen: dt.date
    listing: str  #: hash of the paper's own part of a listing (digest.keys.listing_keys)


@dataclass(frozen=True, slots=True)
class DayFacts:
    """What the site needs of every day: its summary, and how many papers of each topic it lists."""

    brief: DaySummary
    topic_counts: tuple[tuple[str, int], ...]  #: (topic slug, papers of the topic on the day), topics in order


@dataclass(frozen=True)
class Model:
    """A library, what it was made from, and the facts about its papers and days."""

    state: LibraryState
    sources: tuple[tuple[str, str], ...]  #: (file name, sha256 of its bytes) of every snapshot, in name order
    named: bool  #: every snapshot was dated by its file name, so that days can be added without dating it again
    papers: Mapping[str, PaperFacts]
    days: Sequence[DayFacts]  #: in day order
    #: The warnings its snapshots gave when read (see parse.merged_card_notes), and those of
    #: their cards published after their list day, each with its snapshot's source: a build that
    #: extends the model reads only the new snapshots, and gives these again.
    notes: tuple[tuple[str, str], ...] = ()
    date_notes: tuple[tuple[str, str], ...] = ()

    @property
    def library(self) -> Library:
        return self.state.library


@dataclass(frozen=True)
class Changes:
    """What a day's build changed in the model of the last build.  Outputs made only of papers
    and days not named here are the last build's: their inputs did not change."""

    papers: frozenset[str]  #: keys of papers that are new or changed
    days: frozenset[dt.date]  #: days whose pages change: the new ones, the one before, any listing a changed paper
    topics: tuple[Topic, ...]  #: the last build's topics (which papers its topic pages held)


def paper_facts(library: Library, keys=None) -> dict[str, PaperFacts]:
    """Facts of every paper of the library, or of those named."""
    listings = listing_keys(library, keys)
    facts = {}
    for key, listing in listings.items():
        paper = library.papers[key]
        facts[key] = PaperFacts(paper.slug, paper.first_seen, paper.last_seen, listing)
    return facts


def day_facts(library: Library, indexes=None) -> dict[int, DayFacts]:
    """Facts of every day of the library (by index), or of those whose index is given."""
    members = [(topic.slug, set(topic.papers)) for topic in library.topics]
    facts = {}
    for index in range(len(library.days)) if indexes is None else indexes:
        day = library.days[index]
        keys = [entry.paper for entry in day.entries]
        facts[index] = DayFacts(day_brief(day), tuple((slug, sum(1 for k in keys if k in papers))
                                                      for slug, papers in members))
    return facts


def whole_model(state: LibraryState, sources, named: bool, notes: Sequence[tuple[str, str]] = (),
                date_notes: Sequence[tuple[str, str]] = ()) -> Model:
    """The model of a library made from every snapshot: facts of all its papers and days."""
    days = day_facts(state.library)
    return Model(state, tuple(sources), named, paper_facts(state.library), [days[i] for i in range(len(days))],
                 tuple(notes), tuple(date_notes))


def extended_model(model: Model, state: LibraryState, papers: frozenset[str], new_days: Sequence[dt.date],
                   sources, named: bool, notes: Sequence[tuple[str, str]] = (),
                   date_notes: Sequence[tuple[str, str]] = ()) -> tuple[Model, Changes]:
    """The model of ``model`` extended by new days (``state``, from ``extend_library``): facts
    remade for the papers that changed and the days whose topic counts may have."""
    library = state.library
    facts = dict(model.papers)
    new = paper_facts(library, sorted(papers))
    relisted = {key for key, fact in new.items() if key not in facts or facts[key].listing != fact.listing}
    facts.update(new)
    dates = [brief.brief.date for brief in model.days] + list(new_days)
    days = set(new_days)
    if model.days:
        days.add(model.days[-1].brief.date)  # its page now links to the next day
    for key in relisted:  # every day that lists a paper whose listing changed: its days, and the next ones
        for appearance in library.papers[key].appearances:
            position = bisect.bisect_left(dates, appearance.date)
            days.update(dates[position:position + 2])  # it is on this day, and maybe dropped from the next
    # Topic counts change on the new days and on the days of papers whose topics changed (relisted).
    indexes = {bisect.bisect_left(dates, date) for date in days}
    remade = day_facts(library, sorted(indexes))
    day_list = [remade.get(i) or model.days[i] for i in range(len(dates))]
    extended = Model(state, tuple(sources), named, facts, day_list, model.notes + tuple(notes),
                     model.date_notes + tuple(date_notes))
    return extended, Changes(papers, frozenset(days), model.library.topics)


# --- saving and loading ------------------------------------------------------------------------

def model_record(model: Model, salt: str) -> dict:
    """The model as plain data to pickle: papers and days as the bytes of each, pickled once."""
    state = model.state
    return {
        "format": FORMAT, "salt": salt, "sources": model.sources, "named": model.named,
        "days": sequence_blobs(state.library.days), "papers": mapping_blobs(state.library.papers),
        "topics": state.library.topics, "ids_by_title": dict(state.ids_by_title),
        "wanted_slugs": dict(state.wanted_slugs), "slug_bases": dict(state.slug_bases),
        "paper_facts": {key: (f.slug, f.first_seen.toordinal(), f.last_seen.toordinal(), f.listing)
                        for key, f in model.papers.items()},
        "day_facts": list(model.days), "notes": model.notes, "date_notes": model.date_notes,
    }


def model_from_record(record: object, salt: str) -> Model | None:
    """The model saved by ``model_record``, or None if the record is not one for this salt."""
    if not isinstance(record, dict) or record.get("format") != FORMAT or record.get("salt") != salt:
        return None
    day = dt.date.fromordinal
    library = Library(days=StoredSequence(record["days"]), papers=StoredMapping(record["papers"]),
                      topics=record["topics"])
    state = LibraryState(library, record["ids_by_title"], record["wanted_slugs"], record["slug_bases"])
    papers = {key: PaperFacts(slug, day(first), day(last), listing)
              for key, (slug, first, last, listing) in record["paper_facts"].items()}
    return Model(state, tuple(record["sources"]), record["named"], papers, record["day_facts"], record["notes"],
                 record["date_notes"])
