"""Tests of digest.dates.resolve_snapshot_dates and digest.build.build_date.

Expected years were worked out by hand from the seeds: the Jan 7 and Jan 19
lists print 2025 dates with their year (so they are 2026 lists); the Dec 16
list prints "Nov 7, 2024" and "Mar 10, 2023" (so it is not 2024 and is 2025);
the Nov 3 list prints no year at all, but its "Insights into DeepSeek-V3"
card ("May 14") is shown on the Jan 7 list as "May 14, 2025".
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from digest.build import build_date
from digest.dates import filename_date, resolve_snapshot_dates
from digest.errors import DigestError, SnapshotError
from digest.models import PartialDate
from digest.parse import parse_snapshot, parse_text_snapshot

# The same names as in conftest.py: bundled (list-day) names and the original capture names.
BUNDLED = ["2025-11-03.txt", "2025-12-16.txt", "2026-01-07.txt", "2026-01-19.txt"]
ORIGINAL_NAMES = ["001_017177ce85f69ad9.txt", "000_84d5e573882e4a31.txt",
                  "002_01d539c9da1dedaa.txt", "003_9fcba986adb36232.txt"]
SNAPSHOTS = Path(__file__).resolve().parent.parent / "content" / "snapshots"
TODAY = dt.date(2026, 11, 21)

#: list day of each original capture, by hand
ORIGINAL_DAYS = {
    "000_84d5e573882e4a31.txt": dt.date(2025, 12, 16),
    "001_017177ce85f69ad9.txt": dt.date(2025, 11, 3),
    "002_01d539c9da1dedaa.txt": dt.date(2026, 1, 7),
    "003_9fcba986adb36232.txt": dt.date(2026, 1, 19),
}


def parse_file(path: Path, name: str | None = None):
    return parse_text_snapshot(path.read_text(encoding="utf-8"), name or path.name)


def parse_text(text: str, name: str):
    return parse_text_snapshot(text, name)


class Warnings(list):
    def __call__(self, message: str) -> None:
        self.append(message)


@pytest.fixture(scope="module")
def originals(seed_dir):
    return {name: parse_file(seed_dir / name) for name in ORIGINAL_NAMES}


# --------------------------------------------------------------------------
# The seeds under their original names

@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[::5] + [(3, 2, 1, 0)])
def test_original_names_any_order(originals, order):
    names = [sorted(ORIGINAL_NAMES)[i] for i in order]
    warnings = Warnings()
    resolved = resolve_snapshot_dates([originals[n] for n in names], today=TODAY, warn=warnings)
    assert [s.source for s in resolved] == names  # same order as given
    assert {s.source: s.date for s in resolved} == ORIGINAL_DAYS
    assert warnings == []
    sources = {s.source: s.date_source for s in resolved}
    assert sources["000_84d5e573882e4a31.txt"] == "content"
    assert sources["002_01d539c9da1dedaa.txt"] == "content"
    assert sources["003_9fcba986adb36232.txt"] == "content"
    assert sources["001_017177ce85f69ad9.txt"] == "other-snapshots"


def test_year_less_card_dates_get_the_list_year(originals):
    resolved = resolve_snapshot_dates(list(originals.values()), today=TODAY)
    by_name = {s.source: s for s in resolved}
    dec = by_name["000_84d5e573882e4a31.txt"]
    assert dec.cards[0].title.startswith("Insights into DeepSeek-V3")
    assert dec.cards[0].published == PartialDate(5, 14, 2025)
    assert dec.cards[0].published.to_date() == dt.date(2025, 5, 14)
    # "Nov 7, 2024" keeps its year; "Dec 4" becomes 2025
    assert dec.cards[9].published == PartialDate(11, 7, 2024)
    assert dec.cards[6].published == PartialDate(12, 4, 2025)
    assert all(c.published is None or c.published.year is not None for s in resolved for c in s.cards)
    nov = by_name["001_017177ce85f69ad9.txt"]
    assert nov.cards[2].published == PartialDate(6, 16, 2025)  # MiniMax-M1
    # cards without a date stay without one
    assert nov.cards[1].published is None
    # other fields untouched
    assert [c.title for c in nov.cards] == [c.title for c in originals["001_017177ce85f69ad9.txt"].cards]


def test_nov_3_alone_is_assumed_with_warning(originals):
    warnings = Warnings()
    [snapshot] = resolve_snapshot_dates([originals["001_017177ce85f69ad9.txt"]],
                                        today=dt.date(2026, 1, 1), warn=warnings)
    assert snapshot.date_source == "assumed"
    assert snapshot.date == dt.date(2025, 11, 3)  # the latest Nov 3 not after today
    assert len(warnings) == 1
    assert "001_017177ce85f69ad9.txt" in warnings[0]
    assert "assumed" in warnings[0]


def test_assumed_year_is_latest_not_after_today(originals):
    warnings = Warnings()
    [snapshot] = resolve_snapshot_dates([originals["001_017177ce85f69ad9.txt"]], today=TODAY, warn=warnings)
    assert snapshot.date_source == "assumed"
    assert snapshot.date == dt.date(2026, 11, 3)
    [snapshot] = resolve_snapshot_dates([originals["001_017177ce85f69ad9.txt"]],
                                        today=dt.date(2026, 11, 2), warn=warnings)
    assert snapshot.date == dt.date(2025, 11, 3)
    assert len(warnings) == 2


def test_nov_3_dated_by_jan_7(originals):
    warnings = Warnings()
    for pair in ([originals["001_017177ce85f69ad9.txt"], originals["002_01d539c9da1dedaa.txt"]],
                 [originals["002_01d539c9da1dedaa.txt"], originals["001_017177ce85f69ad9.txt"]]):
        resolved = {s.source: s for s in resolve_snapshot_dates(pair, today=TODAY, warn=warnings)}
        nov = resolved["001_017177ce85f69ad9.txt"]
        assert nov.date == dt.date(2025, 11, 3)
        assert nov.date_source == "other-snapshots"
        assert resolved["002_01d539c9da1dedaa.txt"].date == dt.date(2026, 1, 7)
    assert warnings == []


def test_bundled_names_give_filename():
    parsed = [parse_file(SNAPSHOTS / name) for name in BUNDLED]
    resolved = resolve_snapshot_dates(parsed, today=TODAY)
    assert [s.date.isoformat() + ".txt" for s in resolved] == BUNDLED
    assert {s.date_source for s in resolved} == {"filename"}


def test_filename_alone_dates_nov_3_without_warning():
    warnings = Warnings()
    [snapshot] = resolve_snapshot_dates([parse_file(SNAPSHOTS / "2025-11-03.txt")], today=TODAY, warn=warnings)
    assert (snapshot.date, snapshot.date_source) == (dt.date(2025, 11, 3), "filename")
    assert warnings == []


def test_file_name_contradicting_list_day(seed_dir):
    parsed = parse_file(seed_dir / "000_84d5e573882e4a31.txt", "2025-11-03.txt")  # the Dec 16 list
    with pytest.raises(SnapshotError) as info:
        resolve_snapshot_dates([parsed], today=TODAY)
    assert info.value.path == "2025-11-03.txt"
    assert info.value.line == 11  # the "Dec 16" line
    assert "Dec 16" in info.value.message and "2025-11-03" in info.value.message


def test_filename_date_helper():
    assert filename_date("content/snapshots/2025-12-16.txt") == dt.date(2025, 12, 16)
    assert filename_date("capture-2026-01-07-evening.txt") == dt.date(2026, 1, 7)
    assert filename_date("000_84d5e573882e4a31.txt") is None
    assert filename_date("2025-02-30.txt") is None
    assert filename_date("12025-01-01.txt") is None


def test_date_option(originals):
    warnings = Warnings()
    [snapshot] = resolve_snapshot_dates([originals["001_017177ce85f69ad9.txt"]],
                                        date_option=dt.date(2024, 11, 3), today=TODAY, warn=warnings)
    assert (snapshot.date, snapshot.date_source) == (dt.date(2024, 11, 3), "option")
    assert snapshot.cards[0].published == PartialDate(5, 14, 2024)
    assert warnings == []


def test_date_option_contradicting_list_day(originals):
    with pytest.raises(SnapshotError) as info:
        resolve_snapshot_dates([originals["001_017177ce85f69ad9.txt"]],
                               date_option=dt.date(2025, 11, 4), today=TODAY)
    assert info.value.line == 11
    assert "--date" in info.value.message


def test_filename_wins_over_option_and_says_so():
    warnings = []
    [snapshot] = resolve_snapshot_dates([parse_file(SNAPSHOTS / "2025-12-16.txt")],
                                        date_option=dt.date(2024, 12, 16), today=TODAY, warn=warnings.append)
    assert (snapshot.date, snapshot.date_source) == (dt.date(2025, 12, 16), "filename")
    assert len(warnings) == 1 and "--date 2024-12-16 is not used: the file name gives 2025-12-16" in warnings[0]
    warnings.clear()
    resolve_snapshot_dates([parse_file(SNAPSHOTS / "2025-12-16.txt")],
                           date_option=dt.date(2025, 12, 16), today=TODAY, warn=warnings.append)
    assert warnings == []


@pytest.mark.parametrize("title, told", [
    ("A paper from the future", "A paper from the future"),
    # A long title is cut as every message cuts one: with "…", not as though it were all of it.
    ("A paper from the future whose title goes on far longer than a message quotes of it",
     "A paper from the future whose title goes on far longer than…")])
def test_a_card_without_a_year_after_the_list_day_is_an_error_in_a_named_file_too(title, told):
    text = "Daily Papers\n\nJan 5\n\n" + card("An early paper", "Jan 3") + card(title, "Jan 9")
    parsed = parse_text_snapshot(text, "2026-01-05.txt")
    for option in (None, dt.date(2026, 1, 5)):
        with pytest.raises(SnapshotError) as info:
            resolve_snapshot_dates([parsed], date_option=option, today=TODAY)
        assert f"card '{told}' is dated Jan 9 without a year, which would be after the list day" in info.value.message
        assert info.value.line == text.splitlines().index(title) + 1


# --------------------------------------------------------------------------
# Small hand-written snapshots

def card(title: str, date: str, who: str = "• 3 authors") -> str:
    return f"{title}\n\nAbstract of {title}.\n\n{who}\n·\n{date}\n\n"


def snapshot_text(day: str, *cards: str) -> str:
    return f"new\n\nDaily Papers\n\n{day}\n\n" + "".join(cards)


def test_content_evidence():
    parsed = parse_text(snapshot_text("Jan 7", card("V-Rex", "Dec 13, 2025")), "capture.txt")
    warnings = Warnings()
    [snapshot] = resolve_snapshot_dates([parsed], today=TODAY, warn=warnings)
    assert (snapshot.date, snapshot.date_source) == (dt.date(2026, 1, 7), "content")
    assert warnings == []


def test_explicit_year_excludes_that_year():
    # Jan 5, 2025 on a Dec 20 list: 2025-12-20 would come after it, but the page
    # would then have printed "Jan 5" without the year, so the list is 2026.
    parsed = parse_text(snapshot_text("Dec 20", card("A", "Jan 5, 2025"), card("B", "Mar 3")), "x.txt")
    [snapshot] = resolve_snapshot_dates([parsed], today=TODAY)
    assert (snapshot.date, snapshot.date_source) == (dt.date(2026, 12, 20), "content")
    assert snapshot.cards[1].published == PartialDate(3, 3, 2026)


def test_several_explicit_years_excluded():
    parsed = parse_text(snapshot_text("Dec 20", card("A", "Jan 5, 2025"), card("B", "Feb 1, 2026")), "x.txt")
    [snapshot] = resolve_snapshot_dates([parsed], today=TODAY)
    assert snapshot.date == dt.date(2027, 12, 20)


def test_year_less_feb_29_needs_leap_year():
    parsed = parse_text(snapshot_text("Mar 10", card("A", "Feb 29"), card("B", "Jan 3, 2025")), "x.txt")
    [snapshot] = resolve_snapshot_dates([parsed], today=TODAY)
    assert (snapshot.date, snapshot.date_source) == (dt.date(2028, 3, 10), "content")
    assert snapshot.cards[0].published.to_date() == dt.date(2028, 2, 29)


def test_feb_29_list_day_needs_leap_year():
    parsed = parse_text(snapshot_text("Feb 29", card("A", "Feb 1, 2023")), "x.txt")
    [snapshot] = resolve_snapshot_dates([parsed], today=TODAY)
    assert snapshot.date == dt.date(2024, 2, 29)


def test_feb_29_list_day_assumed_is_a_leap_year():
    warnings = Warnings()
    parsed = parse_text(snapshot_text("Feb 29", card("A", "Feb 1")), "leap.txt")
    [snapshot] = resolve_snapshot_dates([parsed], today=TODAY, warn=warnings)
    assert (snapshot.date, snapshot.date_source) == (dt.date(2024, 2, 29), "assumed")
    assert len(warnings) == 1 and "leap.txt" in warnings[0]


def test_year_less_card_after_list_day_is_an_error():
    text = snapshot_text("Jan 7", card("Fine", "Jan 2"), card("Too late", "Dec 13"))
    parsed = parse_text(text, "late.txt")
    assert parsed.cards[1].line == 15
    with pytest.raises(SnapshotError) as info:
        resolve_snapshot_dates([parsed], today=TODAY)
    assert info.value.path == "late.txt"
    assert info.value.line == 15
    assert "Too late" in info.value.message and "Dec 13" in info.value.message


@pytest.mark.parametrize("text", [
    snapshot_text("Dec 16", card("Far future", "Dec 16, 9999")),
    # A leap year is needed, and the only leap years after the latest card date are past 9999 or excluded.
    snapshot_text("Mar 1", card("Leap", "Feb 29"), card("Late", "Feb 28, 9996")),
])
def test_no_year_fitting_before_10000_is_an_error_not_an_endless_search(text):
    parsed = parse_text(text, "notes.txt")
    with pytest.raises(SnapshotError) as info:
        resolve_snapshot_dates([parsed], today=TODAY)
    assert info.value.path == "notes.txt" and info.value.line == parsed.list_day_line
    assert "no year fits" in info.value.message


def test_year_less_feb_29_in_a_file_named_for_a_common_year_is_an_error():
    parsed = parse_text(snapshot_text("Mar 1", card("Fine", "Feb 27"), card("Leap day", "Feb 29")), "2026-03-01.txt")
    with pytest.raises(SnapshotError) as info:
        resolve_snapshot_dates([parsed], today=TODAY)
    assert (info.value.path, info.value.line) == ("2026-03-01.txt", parsed.cards[1].line)
    assert "Leap day" in info.value.message and "2026" in info.value.message
    # In a leap year it is a date like any other.
    leap = parse_text(snapshot_text("Mar 1", card("Leap day", "Feb 29")), "2028-03-01.txt")
    [snapshot] = resolve_snapshot_dates([leap], today=TODAY)
    assert snapshot.cards[0].published.to_date() == dt.date(2028, 2, 29)


def test_chain_of_snapshots():
    # C is dated by its own content (Jun 2, 2024 printed with a year => not 2024 => 2025).
    # B shows "Paper Y" without a year; C shows it as "Jun 2, 2024": B is a 2024 list.
    # A shows "Paper X" without a year; so does B, which is now known: A is a 2024 list too.
    a = parse_text(snapshot_text("Jun 20", card("Paper X", "May 14")), "a.txt")
    b = parse_text(snapshot_text("Jul 1", card("Paper X", "May 14"), card("Paper Y", "Jun 2")), "b.txt")
    c = parse_text(snapshot_text("Jul 5", card("Paper Y", "Jun 2, 2024")), "c.txt")
    for order in itertools.permutations([a, b, c]):
        warnings = Warnings()
        resolved = {s.source: s for s in resolve_snapshot_dates(list(order), today=TODAY, warn=warnings)}
        assert (resolved["c.txt"].date, resolved["c.txt"].date_source) == (dt.date(2025, 7, 5), "content")
        assert (resolved["b.txt"].date, resolved["b.txt"].date_source) == (dt.date(2024, 7, 1), "other-snapshots")
        assert (resolved["a.txt"].date, resolved["a.txt"].date_source) == (dt.date(2024, 6, 20), "other-snapshots")
        # 2025 is C's first year after its cards' dates, the likely one; but 2026 fits too: a guess, said.
        assert warnings == ["c.txt:5: took the list day Jul 5 to be in 2025, the first year after its cards' dates "
                            "(the latest is 2024-06-02), though 2026 fits too; name the file YYYY-MM-DD.txt or give "
                            "--date to digest add or parse"]


def test_other_snapshot_must_show_same_month_and_day():
    # same title, different date: no evidence, so assumed
    a = parse_text(snapshot_text("Jun 20", card("Paper X", "May 14")), "a.txt")
    b = parse_text(snapshot_text("Jul 5", card("Paper X", "May 15, 2023")), "b.txt")
    warnings = Warnings()
    resolved = {s.source: s for s in resolve_snapshot_dates([a, b], today=TODAY, warn=warnings)}
    assert resolved["a.txt"].date_source == "assumed"
    assert len(warnings) == 2 and "a.txt" in warnings[1]
    assert warnings[0].startswith("b.txt:5: took the list day Jul 5 to be in 2024, the first year after its cards' "
                                  "dates (the latest is 2023-05-15), though 2025, 2026 fit too;")


# --------------------------------------------------------------------------
# build_date

def test_build_date_from_source_date_epoch():
    assert build_date({"SOURCE_DATE_EPOCH": "0"}) == dt.date(1970, 1, 1)
    assert build_date({"SOURCE_DATE_EPOCH": "1700000000"}) == dt.date(2023, 11, 14)
    assert build_date({"SOURCE_DATE_EPOCH": "1768780800"}) == dt.date(2026, 1, 19)  # 2026-01-19T00:00Z
    assert build_date({"SOURCE_DATE_EPOCH": "1768780799"}) == dt.date(2026, 1, 18)


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def test_build_date_without_epoch_is_today_in_utc_in_any_time_zone():
    """As SOURCE_DATE_EPOCH's day: the site of one moment is the same in every time zone.  Local
    days 26 hours apart (POSIX zones: no time zone data needed) always differ from one another."""
    import os
    import subprocess
    import sys

    before = _utc_today()
    value = build_date({})
    assert before <= value <= _utc_today()
    assert build_date({"SOURCE_DATE_EPOCH": ""}) in (value, _utc_today())
    for zone in ("EAST-14", "WEST+12"):
        before = _utc_today()
        shown = subprocess.run([sys.executable, "-c", "from digest.inputs import build_date; print(build_date({}))"],
                               env={**os.environ, "TZ": zone}, capture_output=True, text=True, check=True).stdout
        assert before <= dt.date.fromisoformat(shown.strip()) <= _utc_today(), zone


@pytest.mark.parametrize("garbage", ["yesterday", "1.5", "2026-01-19", "\uff10", " 17", "1_700_000_000"])
def test_build_date_rejects_garbage(garbage):
    with pytest.raises(DigestError) as info:
        build_date({"SOURCE_DATE_EPOCH": garbage})
    assert f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {garbage!r}" in str(info.value)


@pytest.mark.parametrize("far", ["99999999999999999999999", "-99999999999"])
def test_build_date_out_of_range_says_so(far):
    with pytest.raises(DigestError) as info:
        build_date({"SOURCE_DATE_EPOCH": far})
    assert str(info.value).startswith(f"SOURCE_DATE_EPOCH is out of range: {far!r}")


def test_a_build_date_before_any_fitting_year_takes_the_first_after_it():
    """SOURCE_DATE_EPOCH=0 makes the build date 1970, when no Feb 29 had passed since 1990."""
    warnings = []
    [snapshot] = resolve_snapshot_dates([parse_text_snapshot("Daily Papers\n\nFeb 29\n\nT\n\nAn abstract.\n", "x.txt")],
                                        today=dt.date(1970, 1, 1), warn=warnings.append)
    assert snapshot.date == dt.date(1972, 2, 29) and "assumed the list day Feb 29 is in 1972" in warnings[0]


@pytest.mark.parametrize("name", ["2025-02-29.txt", "2026-13-19.txt", "0000-01-19.txt"])
def test_a_file_name_that_looks_dated_but_is_no_date_is_told(originals, name):
    """The snapshot is dated as if the name held no date, and the user is told to rename it."""
    warnings = Warnings()
    text = "\n\n".join(["Daily Papers", "Jan 19, 2026", "A title", "An abstract."])
    [snapshot] = resolve_snapshot_dates([parse_text(text, name)], today=TODAY, warn=warnings)
    assert snapshot.date == dt.date(2026, 1, 19) and snapshot.date_source == "content"
    assert warnings == [f"{name}: the file name's {name[:10]} is no date, so it does not date the snapshot "
                        f"(rename the file)"]


def test_a_snapshot_without_a_list_day_in_a_file_that_looks_dated_is_told_one_thing_of_its_name():
    warnings = Warnings()
    answer = '[{"paper": {"id": "2601.00001", "title": "A title", "summary": "An abstract."}}]'  # no list day
    with pytest.raises(SnapshotError) as caught:
        resolve_snapshot_dates([parse_snapshot(answer, "2026-02-30.json")], today=TODAY, warn=warnings)
    assert str(caught.value) == ("2026-02-30.json:1: the snapshot shows no list day (a trending page has none), and "
                                 "its name's 2026-02-30 is no date: name the file by its capture date, YYYY-MM-DD, "
                                 "or give --date to digest add or parse")
    assert warnings == []


@pytest.mark.parametrize("name, text, line", [
    ("0001-12-31.txt", "Daily Papers\n\nDec 31\n\nT\n\nAn abstract.\n", 3),
    ("x.txt", "Daily Papers\n\nDec 31, 0099\n\nT\n\nAn abstract.\n", 3),
    ("1969-12-31.txt", "Daily Papers\n\nDec 31\n\nT\n\nAn abstract.\n", 3),
])
def test_a_list_day_before_1970_is_refused(name, text, line):
    """Feeds and e-mail headers write four-digit years (year 1 came out as 2001 in an e-mail's Date)."""
    with pytest.raises(SnapshotError) as caught:
        resolve_snapshot_dates([parse_text_snapshot(text, name)], today=dt.date(2026, 12, 1))
    assert (caught.value.path, caught.value.line) == (name, line)
    assert "is before 1970: no Daily Papers list is that old" in caught.value.message


def test_a_list_day_its_cards_settle_is_not_a_guess():
    # Mar 3 with a card of Feb 1, 2026 printed with its year: not 2026, not before it; up to today
    # (May 2027) 2027 alone fits.
    snapshot = parse_text(snapshot_text("Mar 3", card("Paper X", "Feb 1, 2026")), "x.txt")
    warnings = Warnings()
    [resolved] = resolve_snapshot_dates([snapshot], today=dt.date(2027, 5, 1), warn=warnings)
    assert (resolved.date, resolved.date_source, warnings) == (dt.date(2027, 3, 3), "content", [])


def test_a_year_whose_list_day_is_still_to_come_is_no_other_fit():
    snapshot = parse_text(snapshot_text("Dec 16", card("Paper X", "Nov 7, 2024")), "x.txt")
    warnings = Warnings()
    [resolved] = resolve_snapshot_dates([snapshot], today=dt.date(2026, 12, 6), warn=warnings)
    assert (resolved.date, warnings) == (dt.date(2025, 12, 16), [])


def test_a_card_published_more_than_a_day_after_its_list_day_is_a_warning_naming_both_dates():
    # Mar 10, 2027 on the list of Jan 20, 2026 (named by its day, so the card cannot move the
    # year); a day later is time zones, and no warning.
    text = snapshot_text("Jan 20", card("Late", "Mar 10, 2027"), card("Next day", "Jan 21, 2026"))
    warnings = Warnings()
    [resolved] = resolve_snapshot_dates([parse_text(text, "2026-01-20.txt")], today=TODAY, warn=warnings)
    assert resolved.date == dt.date(2026, 1, 20)
    assert warnings == ["2026-01-20.txt:7: card 'Late' is dated 2027-03-10, after its list day 2026-01-20 "
                        "(a paper is listed after it is published): is a year wrong?"]


def test_many_cards_published_after_their_list_day_are_one_warning_at_the_first():
    """A file named with the wrong year dates every card after its list day: one warning, not one a card."""
    text = snapshot_text("Jan 20", card("Fine", "Jan 2, 2026"), card("Late", "Mar 10, 2027"),
                         card("Later", "Apr 1, 2027"), card("Latest", "May 1, 2027"))
    warnings = Warnings()
    resolve_snapshot_dates([parse_text(text, "2026-01-20.txt")], today=TODAY, warn=warnings)
    late_line = text.splitlines().index("Late") + 1
    assert warnings == [f"2026-01-20.txt:{late_line}: 3 cards are dated after their list day 2026-01-20, the first, "
                        "'Late', 2027-03-10 (a paper is listed after it is published): is a year wrong, in the "
                        "file's name or the cards?"]


def test_only_the_snapshot_being_added_is_warned_of_a_card_published_after_its_list_day():
    old = parse_text(snapshot_text("Jan 20", card("Late", "Mar 10, 2027")), "2026-01-20.txt")
    new = parse_text(snapshot_text("Jan 21", card("Other", "Jan 2, 2026")), "new.txt")
    warnings = Warnings()
    resolve_snapshot_dates([old, new], date_option=dt.date(2026, 1, 21), option_from=1, today=TODAY, warn=warnings)
    assert warnings == []


def test_a_list_day_more_than_a_day_after_today_is_a_warning_naming_the_file_and_the_day():
    text = snapshot_text("Dec 31", card("Paper X", "Dec 1"))
    warnings = Warnings()
    [resolved] = resolve_snapshot_dates([parse_text(text, "9999-12-31.txt")], today=TODAY, warn=warnings)
    assert resolved.date == dt.date(9999, 12, 31)  # the last day there is: no day after it is needed to compare
    assert warnings == ["9999-12-31.txt: the list day 9999-12-31, from the file name, is after today (2026-11-21): "
                        "is a date mistyped?"]
    tomorrow = parse_text(snapshot_text("Nov 22", card("Paper X", "Nov 1")), "x.txt")  # time zones
    warnings = Warnings()
    resolve_snapshot_dates([tomorrow], date_option=dt.date(2026, 11, 22), today=TODAY, warn=warnings)
    assert warnings == []
    later = parse_text(snapshot_text("Nov 23", card("Paper X", "Nov 1")), "x.txt")
    resolve_snapshot_dates([later], date_option=dt.date(2026, 11, 23), today=TODAY, warn=warnings)
    assert warnings == ["x.txt: the list day 2026-11-23, from --date, is after today (2026-11-21): is a date mistyped?"]


def test_a_card_a_day_after_a_dec_31_list_day_dates_the_list_in_the_year_before_it():
    """A card may be dated up to a day after its list day (time zones): the list of Dec 31 that
    shows a paper of Jan 1, 2026 (in UTC) is of 2025, where it was taken for 2026 or even 2027."""
    text = snapshot_text("Dec 31", card("Paper X", "Dec 30"), card("Paper Y", "Jan 1, 2026"))
    [resolved] = resolve_snapshot_dates([parse_text(text, "a.txt")], today=dt.date(2026, 3, 1), warn=Warnings())
    assert (resolved.date, resolved.date_source) == (dt.date(2025, 12, 31), "content")
    assert resolved.cards[0].published == PartialDate(12, 30, 2025)
    # Two days after: no list day of 2025 (nor of 2026, a year the page would not have printed).
    text = snapshot_text("Dec 31", card("Paper X", "Dec 30"), card("Paper Y", "Jan 2, 2026"))
    [resolved] = resolve_snapshot_dates([parse_text(text, "a.txt")], today=dt.date(2028, 3, 1), warn=Warnings())
    assert resolved.date == dt.date(2027, 12, 31)


def test_a_chain_of_undated_snapshots_is_dated_looking_at_each_a_few_times(monkeypatch):
    """Each undated snapshot shares a paper with the next, the last is named by its day: every
    one is dated by the next.  Each was looked at again on every pass, one pass a file: 4,000
    files took 23 s.  Now a snapshot is looked at again only once one it depends on is dated."""
    import digest.dates

    count = 300
    parsed = [parse_text(snapshot_text("Mar 10", card(f"Chain paper {n}", "Mar 1"), card(f"Chain paper {n + 1}", "Mar 1")),
                         f"capture-{n:04d}.txt" if n < count - 1 else "2025-03-10.txt") for n in range(count)]
    looks = []
    original = digest.dates._YearPins.years
    monkeypatch.setattr(digest.dates._YearPins, "years", lambda self, index: looks.append(index) or original(self, index))
    resolved = resolve_snapshot_dates(parsed, today=TODAY, warn=Warnings())
    assert {(s.date, s.date_source) for s in resolved[:-1]} == {(dt.date(2025, 3, 10), "other-snapshots")}
    assert len(looks) <= 3 * count, len(looks)
