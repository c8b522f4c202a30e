"""Find the year of each snapshot's list day.

The page prints ``Dec 16`` for the list day and leaves the year out of card
dates in the list's own year.  Evidence, strongest first:

1. ``filename``: a ``YYYY-MM-DD`` date in the file name;
2. ``option``: a date the user gave;
3. ``content``: the cards themselves: a card dated with year Y means the list
   is not in year Y, and no card can be published after the list day, so the
   earliest year that fits is taken;
4. ``other-snapshots``: a card without a year here whose paper another
   snapshot shows with a full date (or without a year, on a list whose year
   is known) was published in that year, and so the list is too;
5. ``assumed``: the latest fitting year whose list day is not after today,
   with a warning.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath, PurePosixPath
from urllib.parse import urlsplit

from digest.errors import SnapshotError, shortened
from digest.files import FILENAME_DATE_RE, SNAPSHOT_SUFFIXES
from digest.models import ParsedSnapshot, PartialDate, Snapshot, normalise_title


def _file_name(source: str) -> str:
    """The name of the file a snapshot was read from; of a URL (``digest fetch``), the last part of
    its path: the ``?date=YYYY-MM-DD`` of its query is the day asked for with --date, no file's name."""
    if _fetched(source):
        return PurePosixPath(urlsplit(source).path).name
    return PurePath(source).name


def filename_date(source: str) -> dt.date | None:
    """The ``YYYY-MM-DD`` date in a file name, if it has a valid one."""
    match = FILENAME_DATE_RE.search(_file_name(source))
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class YearConstraints:
    """What a snapshot's own cards say about the year of its list day."""

    month: int
    day: int
    excluded: frozenset[int]  #: years that cards print explicitly
    not_before: dt.date | None  #: latest explicit card date
    needs_leap: bool  #: a year-less Feb 29 card, or a Feb 29 list day

    def fits(self, year: int) -> bool:
        if year in self.excluded or (self.needs_leap and not _is_leap(year)):
            return False
        try:
            list_day = dt.date(year, self.month, self.day)
        except ValueError:
            return False
        # A card may be dated up to a day after its list day (time zones, see DATE_SLACK): a list of
        # Dec 31 with a paper of Jan 1 in UTC is of the year before that paper's.
        return self.not_before is None or self.not_before - list_day <= DATE_SLACK

    def earliest_fitting(self) -> int | None:
        """The earliest fitting year not before ``not_before`` (which must be set), less a day;
        None if no year up to 9999 fits (cards dated 9999, a Feb 29 list day after 9996...)."""
        assert self.not_before is not None
        first = max(self.not_before.year - 1, dt.MINYEAR)  # a Dec 31 list day a day before a Jan 1 card
        return next((year for year in range(first, dt.MAXYEAR + 1) if self.fits(year)), None)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def content_constraints(snapshot: ParsedSnapshot) -> YearConstraints:
    """Read the year constraints from a snapshot's cards; raise if a card contradicts the list day."""
    assert snapshot.list_day is not None
    list_day = snapshot.list_day
    excluded: set[int] = set()
    not_before: dt.date | None = None
    needs_leap = (list_day.month, list_day.day) == (2, 29)
    for card in snapshot.cards:
        published = card.published
        if published is None:
            continue
        if published.year is not None:
            if snapshot.years_printed:  # the page prints a year only when it is not the list's
                excluded.add(published.year)
            full = published.to_date()
            not_before = full if not_before is None or full > not_before else not_before
        elif (published.month, published.day) > (list_day.month, list_day.day):
            raise _after_the_list_day(snapshot, card, list_day.text())
        elif (published.month, published.day) == (2, 29):
            needs_leap = True
    return YearConstraints(list_day.month, list_day.day, frozenset(excluded), not_before, needs_leap)


def _after_the_list_day(snapshot: ParsedSnapshot, card, list_day: str) -> SnapshotError:
    """A card printed without a year is in the list's year, so it cannot be dated after the list
    day (the page prints the year of an earlier year's date)."""
    return SnapshotError(f"card '{shortened(card.title)}' is dated {card.published.text()} without a year, "
                         f"which would be after the list day {list_day}", snapshot.source, card.line)


@dataclass(frozen=True, slots=True)
class Resolution:
    year: int
    source: str


def resolve_snapshot_dates(
    parsed: Sequence[ParsedSnapshot],
    *,
    date_option: dt.date | None = None,
    option_from: int = 0,
    today: dt.date,
    warn=lambda message: None,
    notes: list[tuple[str, str]] | None = None,
) -> list[Snapshot]:
    """Give every snapshot its full list day, using the evidence in the module docstring.

    Snapshots are resolved together because one can date another.  ``today``
    is used only as the last resort, which produces a warning through ``warn``, and to warn of a
    list day after it.
    ``date_option`` (``--date``) applies to the snapshots from index ``option_from`` on, and
    only they are warned of a card published after their list day, or of a list day after
    ``today``: ``digest add`` dates and checks the new one, not those already in the folder.
    The warnings of cards published after their list day are added to ``notes`` too, each with
    its snapshot's source: they belong to the snapshot, as its parser's notes do.
    """
    resolved: dict[int, Resolution] = {}
    constraints: dict[int, YearConstraints] = {}
    options = [date_option if index >= option_from else None for index in range(len(parsed))]
    for index, snapshot in enumerate(parsed):
        given = _given_year(snapshot, options[index], warn)
        if given is not None:
            resolved[index] = given
        elif snapshot.list_day.year is not None:
            resolved[index] = Resolution(snapshot.list_day.year, "content")
        else:
            constraints[index] = content_constraints(snapshot)
    if constraints:  # content first: it needs nothing else; then other snapshots; then a guess
        pins = _YearPins(parsed, resolved, constraints)
        _resolve_by_content(parsed, constraints, resolved, pins, today, warn)
        _resolve_by_other_snapshots(parsed, constraints, resolved, pins, warn)
        _assume_years(parsed, constraints, resolved, today, warn)

    dated = [
        _complete(snapshot, resolved[index], filename_date(snapshot.source) or options[index])
        for index, snapshot in enumerate(parsed)
    ]
    for snapshot in dated[option_from:]:
        for note in published_after_notes(snapshot):
            warn(note)
            if notes is not None:
                notes.append((snapshot.source, note))
        if (late := after_today_warning(snapshot.source, snapshot.date, snapshot.date_source, today)) is not None:
            warn(late)
    return dated


def _given_year(snapshot: ParsedSnapshot, option: dt.date | None, warn) -> Resolution | None:
    """The year a snapshot's file name or ``--date`` gives it, checked against the list day it
    shows; None if neither gives one.  SnapshotError if the snapshot cannot be dated at all."""
    named = filename_date(snapshot.source)
    looks = FILENAME_DATE_RE.search(_file_name(snapshot.source)) if named is None else None
    given = named or option
    if snapshot.list_day is None and given is None:
        named_so = f", and its name's {looks[0]} is no date" if looks else ""
        how = ("give --date to digest fetch" if _fetched(snapshot.source) else
               "name the file by its capture date, YYYY-MM-DD, or give --date to digest add or parse")
        raise SnapshotError(f"the snapshot shows no list day (a trending page has none){named_so}: {how}",
                            snapshot.source, 1)
    # A snapshot being fetched is named by its address, whose last part may name its day too.
    name, rename = (("the address", "give --url an address that names no day") if _fetched(snapshot.source) else
                    ("the file name", "rename the file"))
    if looks:
        warn(f"{snapshot.source}: {name}'s {looks[0]} is no date, so it does not date the snapshot ({rename})")
    if named and option and named != option:
        warn(f"{snapshot.source}: --date {option.isoformat()} is not used: {name} gives "
             f"{named.isoformat()}, which comes first ({rename} to change it)")
    if given is None:
        return None
    day = snapshot.list_day
    if day is not None and ((given.month, given.day) != (day.month, day.day) or day.year not in (None, given.year)):
        what = name if named else "--date"
        raise SnapshotError(f"list day '{day.text()}' contradicts the date {given.isoformat()} given by {what}",
                            snapshot.source, snapshot.list_day_line)
    return Resolution(given.year, "filename" if named else "option")


class _YearPins:
    """The years other snapshots give to a snapshot's year-less cards: a card without a year here
    whose paper another snapshot shows with a full date, or without a year on a list whose year is
    known, was published in that year, and so this list is too."""

    def __init__(self, parsed: Sequence[ParsedSnapshot], resolved: dict[int, Resolution],
                 constraints: dict[int, YearConstraints]):
        self.parsed, self.resolved, self.constraints = parsed, resolved, constraints
        # Cards without a year, by paper (gathered only when a snapshot's own evidence is not
        # enough: usually every file is named by its day).
        self.sightings: dict[str, list[tuple[int, PartialDate]]] = defaultdict(list)
        for index, snapshot in enumerate(parsed):
            for card in snapshot.cards:
                if card.published is not None:
                    self.sightings[normalise_title(card.title)].append((index, card.published))

    def years(self, index: int) -> set[int]:
        """The years other snapshots give to snapshot ``index`` that fit its own cards."""
        years: set[int] = set()
        for card in self.parsed[index].cards:
            if card.published is None or card.published.year is not None:
                continue
            for other, published in self.sightings[normalise_title(card.title)]:
                if other == index or (published.month, published.day) != (card.published.month, card.published.day):
                    continue
                if published.year is not None:
                    years.add(published.year)
                elif other in self.resolved:
                    years.add(self.resolved[other].year)
        return {y for y in years if self.constraints[index].fits(y)}

    def dependents(self, index: int) -> set[int]:
        """The other snapshots whose year-less cards the year of snapshot ``index`` dates (see
        ``years``): they show one of its year-less cards' papers, on the same day, without a year."""
        found: set[int] = set()
        for card in self.parsed[index].cards:
            published = card.published
            if published is None or published.year is not None:
                continue
            found.update(other for other, seen in self.sightings[normalise_title(card.title)]
                         if other != index and seen.year is None and (seen.month, seen.day) == (published.month,
                                                                                                 published.day))
        return found


def _resolve_by_content(parsed: Sequence[ParsedSnapshot], constraints: dict[int, YearConstraints],
                        resolved: dict[int, Resolution], pins: _YearPins, today: dt.date, warn) -> None:
    """Date the snapshots whose cards carry full dates: the first year after them that fits,
    unless other snapshots pin another."""
    for index, rule in constraints.items():
        if rule.not_before is None:
            continue
        pinned = pins.years(index)
        year = rule.earliest_fitting()
        snapshot = parsed[index]
        if year is None:
            raise SnapshotError(f"no year fits the list day '{snapshot.list_day.text()}' after its cards' dates "
                                f"(the latest is {rule.not_before.isoformat()})",
                                snapshot.source, snapshot.list_day_line)
        if pinned and year not in pinned:
            resolved[index] = Resolution(min(pinned), "other-snapshots")
            continue
        resolved[index] = Resolution(year, "content")
        # The first year after the cards' dates is the likely one (papers trend soon after they
        # appear), but where later years up to today fit as well, it is a guess: say so.
        later = [y for y in range(year + 1, today.year + 1)
                 if rule.fits(y) and dt.date(y, rule.month, rule.day) <= today]
        if later and not pinned:
            warn(f"{snapshot.source}:{snapshot.list_day_line}: took the list day {snapshot.list_day.text()} "
                 f"to be in {year}, the first year after its cards' dates (the latest is "
                 f"{rule.not_before.isoformat()}), though {', '.join(map(str, later))} "
                 f"{'fits' if len(later) == 1 else 'fit'} too; {_how_to_date(snapshot.source)}")


def _resolve_by_other_snapshots(parsed: Sequence[ParsedSnapshot], constraints: dict[int, YearConstraints],
                                resolved: dict[int, Resolution], pins: _YearPins, warn) -> None:
    """Let dated snapshots date the others, until none is dated any more: one so dated may date another.
    In passes over the snapshots, in order; after the first, a snapshot is looked at again only
    once one it depends on is dated (see _YearPins.dependents): a chain of undated files, each
    dated by the next, took a pass over them all for each (4,000 files: 23 s)."""
    due = sorted(index for index in constraints if index not in resolved)
    while due:
        heap, queued, next_pass = due, set(due), set()  # a sorted list is a heap
        while heap:
            index = heapq.heappop(heap)
            pinned = pins.years(index) if index not in resolved else None
            if not pinned:
                continue
            if len(pinned) > 1:
                warn(f"{parsed[index].source}: other snapshots disagree on the year "
                     f"({', '.join(map(str, sorted(pinned)))}); taking {min(pinned)}")
            resolved[index] = Resolution(min(pinned), "other-snapshots")
            for other in pins.dependents(index):
                if other in resolved or other not in constraints:
                    continue
                if other > index and other not in queued:  # later in this pass, as every one after it
                    heapq.heappush(heap, other)
                    queued.add(other)
                elif other < index:
                    next_pass.add(other)
        due = sorted(next_pass - resolved.keys())


def _assume_years(parsed: Sequence[ParsedSnapshot], constraints: dict[int, YearConstraints],
                  resolved: dict[int, Resolution], today: dt.date, warn) -> None:
    """Date what nothing else dated: the latest fitting year whose list day is not after today, with a warning."""
    for index, rule in constraints.items():
        if index in resolved:
            continue
        year = today.year
        while year > 1990 and not (rule.fits(year) and dt.date(year, rule.month, rule.day) <= today):
            year -= 1
        snapshot = parsed[index]
        if year <= 1990:
            # None before today fits (a build date of 1970 from SOURCE_DATE_EPOCH=0): the earliest after it.
            year = next((y for y in range(today.year, today.year + 9) if rule.fits(y)), None)
            if year is None:
                raise SnapshotError(f"no year fits the list day '{snapshot.list_day.text()}': "
                                    f"{_how_to_date(snapshot.source)}", snapshot.source, snapshot.list_day_line)
        warn(f"{snapshot.source}:{snapshot.list_day_line}: assumed the list day {snapshot.list_day.text()} is in "
             f"{year}; {_how_to_date(snapshot.source)}")
        resolved[index] = Resolution(year, "assumed")


def after_today(date: dt.date, date_source: str, today: dt.date) -> str | None:
    """What is wrong with a list day after today (a snapshot is saved on its day or later: a date
    or year mistyped, or inferred from cards that mislead), or None."""
    if date - today <= DATE_SLACK:
        return None
    return f"the list day {date.isoformat()}, from {_ORIGINS[date_source]}, is after today ({today.isoformat()})"


def after_today_warning(source: str, date: dt.date, date_source: str, today: dt.date) -> str | None:
    """The warning for a list day after today, or None.  Not one of a snapshot's notes: it
    depends on the day of the build."""
    late = after_today(date, date_source, today)
    return None if late is None else f"{source}: {late}: is a date mistyped?"


#: Where a list day came from, by its ``date_source``, as a warning tells it.
_ORIGINS = {"filename": "the file name", "option": "--date", "content": "the snapshot",
            "other-snapshots": "other snapshots", "assumed": "a guess"}


#: The slack given to a date compared with another across time zones: the hub dates a paper and
#: a list in its own zone, an API answer in UTC, and today is the build machine's.  (Dates are
#: compared by their difference: a day added to 9999-12-31 is no date.)
DATE_SLACK = dt.timedelta(days=1)


def published_after_notes(snapshot: Snapshot) -> list[str]:
    """A warning of the cards published more than a day after their list day: a paper is listed
    after it appears, so one of the two dates is wrong (most likely a year mistyped, in the card
    or the file's name).  A year-less card date after the list day is an error (see
    _after_the_list_day); one that carries its year is only unlikely.  Many such cards (a file
    named with the wrong year: all of them) are one warning, at the first."""
    late = [card for card in snapshot.cards
            if card.published is not None and card.published.to_date() - snapshot.date > DATE_SLACK]
    if not late:
        return []
    first, list_day = late[0], snapshot.date.isoformat()
    where = f"{snapshot.source}{f':{first.line}' if first.line else ''}"
    title, published = shortened(first.title), first.published.to_date().isoformat()
    if len(late) == 1:
        return [f"{where}: card '{title}' is dated {published}, after its list day {list_day} (a paper is "
                f"listed after it is published): is a year wrong?"]
    return [f"{where}: {len(late)} cards are dated after their list day {list_day}, the first, '{title}', "
            f"{published} (a paper is listed after it is published): is a year wrong, in the file's name or "
            f"the cards?"]


#: The earliest list day taken: feeds and e-mail headers write years of four digits, and a year
#: before 1970 is a typing error (the hub's lists began in 2023).
EARLIEST_LIST_DAY = dt.date(1970, 1, 1)


def _complete(snapshot: ParsedSnapshot, resolution: Resolution, given: dt.date | None) -> Snapshot:
    """The snapshot with its list day and every year-less card date completed."""
    date = given if snapshot.list_day is None else snapshot.list_day.with_year(resolution.year).to_date()
    assert date is not None
    if date < EARLIEST_LIST_DAY:
        raise SnapshotError(f"the list day {date.isoformat()} is before {EARLIEST_LIST_DAY.year}: no Daily Papers list "
                            f"is that old, and feeds and e-mail cannot date it (is the year mistyped?)",
                            snapshot.source, snapshot.list_day_line if snapshot.list_day else 1)
    for card in snapshot.cards:
        if card.published and card.published.year is None and (card.published.month, card.published.day) > (
                date.month, date.day):
            raise _after_the_list_day(snapshot, card, date.isoformat())
    if not _is_leap(resolution.year):
        for card in snapshot.cards:
            if card.published and card.published.year is None and (card.published.month, card.published.day) == (2, 29):
                raise SnapshotError(f"card '{shortened(card.title)}' is dated Feb 29 without a year, but the list day is "
                                    f"in {resolution.year}, not a leap year", snapshot.source, card.line)
    cards = tuple(
        replace(card, published=card.published.with_year(resolution.year))
        if card.published and card.published.year is None else card
        for card in snapshot.cards
    )
    return Snapshot(snapshot.source, snapshot.format, date, resolution.source, cards)


def _fetched(source: str) -> bool:
    """Whether a snapshot is one ``digest fetch`` downloaded, named by its address, not yet a file."""
    return source.startswith(("http://", "https://"))


def _how_to_date(source: str) -> str:
    """How to give a snapshot its list day: by its file's name, or the --date of the command
    that reads it."""
    if _fetched(source):
        return "give --date to digest fetch"
    return f"name the file {_dated_name(source)} or give --date to digest add or parse"


def _dated_name(source: str) -> str:
    """The name a snapshot is dated by, with its own extension: YYYY-MM-DD.html for a saved page."""
    suffix = PurePath(source).suffix.lower()
    return f"YYYY-MM-DD{suffix if suffix in SNAPSHOT_SUFFIXES else '.txt'}"
