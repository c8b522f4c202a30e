"""The hub's API JSON (``/api/daily_papers``): a bare array of items.

The same item shape is inside a saved HTML page's hydration data, so
``cards_from_items`` serves both.  Per item, the fields used are::

    title, summary, numComments, thumbnail, organization, submittedOnDailyAt
    paper.{id, title, summary, authors[].name, publishedAt, upvotes, githubRepo,
           githubStars, projectPage, ai_keywords, organization.{name, fullname}}

``paper.publishedAt`` gives the date shown (the top-level one can be shifted
by hours) and ``paper.upvotes`` the upvotes (there is none at the top level).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from itertools import islice
from typing import Any

from digest.errors import SnapshotError, card_named
from digest.models import Card, Organization, ParsedSnapshot, PartialDate
from digest.urls import url_problem

#: An arXiv id: new style (2512.00001) or old (hep-th/9901001, its archive's name short), in
#: ASCII digits (``\d`` would take any script's), with or without a version.
ARXIV_ID_RE = re.compile(r"^(?:[0-9]{4}\.[0-9]{4,5}|[a-z][a-z.\-]{0,29}/[0-9]{7})(?:v[0-9]+)?$")
_VERSION_RE = re.compile(r"v[0-9]+$")


def unversioned(arxiv_id: str) -> str:
    """The id of the paper an arXiv id names, whatever its version: "2512.00001v2" -> "2512.00001"."""
    return _VERSION_RE.sub("", arxiv_id)
HUB = "https://huggingface.co"


class NotJSONConstant(ValueError):
    """NaN, Infinity or -Infinity: Python's json reads them, but they are not JSON (no API sends them)."""

    def __init__(self, constant: str):
        super().__init__(constant)
        self.constant = constant


def _refuse_constant(constant: str):
    raise NotJSONConstant(constant)


def strict_decoder() -> json.JSONDecoder:
    """A JSON decoder that refuses NaN, Infinity and -Infinity (see NotJSONConstant)."""
    return json.JSONDecoder(parse_constant=_refuse_constant)


def json_error(error: ValueError | RecursionError, source: str, line: int) -> SnapshotError:
    """What ``json`` raised, as a SnapshotError: a syntax error knows its line and column; a number of
    thousands of digits (which Python refuses to convert), nesting deeper than Python's
    recursion limit and NaN or Infinity are told at ``line``, where the value starts."""
    if isinstance(error, json.JSONDecodeError):  # its message as json gives it: some end in "at" and need the place
        return SnapshotError(f"invalid JSON: {error.msg}: line {error.lineno} column {error.colno}", source,
                             error.lineno)
    if isinstance(error, NotJSONConstant):
        return SnapshotError(f"invalid JSON: {error.constant} in the entry from this line, which is no JSON "
                             f"value (JSON has no NaN or infinite numbers)", source, line)
    return SnapshotError(f"invalid JSON: {json_limit(error)}", source, line)


def json_limit(error: ValueError | RecursionError) -> str:
    """What is wrong with JSON that ``json`` reads but Python cannot hold: nesting deeper than
    Python's recursion limit, or a number of thousands of digits (which Python refuses to convert)."""
    if isinstance(error, RecursionError):
        return "nested too deeply to be a list of papers"
    return "a number too long to be a count or an id"


def iter_array_items(text: str, source: str, start: int | None = None,
                     ends: list[int] | None = None) -> Iterator[tuple[int, Any]]:
    """(line, value) for each element of the top-level JSON array in ``text``, or of the array
    at position ``start`` (then what follows it is not looked at, and where the array ends is
    added to ``ends``, a list).

    Decoding element by element keeps the line of every item, for messages.
    """
    decoder = strict_decoder()
    counted = [0, 1]  # the lines are counted on from the last item's, not from the start each time

    def line_at(position: int) -> int:
        counted[1] += text.count("\n", counted[0], position)
        counted[0] = position
        return counted[1]

    position = _skip_space(text, 0) if start is None else start
    if position >= len(text) or text[position] != "[":
        raise SnapshotError("not a Daily Papers snapshot: the JSON is not a list of papers", source,
                            _line_of(text, position))
    position = _skip_space(text, position + 1)
    if position < len(text) and text[position] == "]":
        if ends is not None:
            ends.append(position + 1)
        return
    while True:
        try:
            value, end = decoder.raw_decode(text, position)
        except (ValueError, RecursionError) as error:
            raise json_error(error, source, line_at(position)) from None
        yield line_at(position), value
        position = _skip_space(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
            continue
        if position < len(text) and text[position] == "]":
            if start is None and (extra := _skip_space(text, position + 1)) != len(text):
                raise SnapshotError("invalid JSON: extra data after the list", source, line_at(extra))
            if ends is not None:
                ends.append(position + 1)
            return
        raise SnapshotError("invalid JSON: expected ',' or ']' (is the file truncated?)", source,
                            line_at(min(position, len(text))))


def _object_items(text: str, source: str) -> list[tuple[int, Any]]:
    """(line, item) for the papers of a saved ``{"dailyPapers": [...]}`` object, at most
    MAX_ITEMS + 1 of them, read member by member as ``iter_array_items`` reads an array: each
    with its line, and a list of far more entries than a day has refused unread.  Of members
    of one name the last counts, as ``json.loads`` has it."""
    decoder = strict_decoder()

    def decoded(position: int):
        try:
            return decoder.raw_decode(text, position)
        except (ValueError, RecursionError) as error:
            raise json_error(error, source, _line_of(text, position)) from None

    items: list[tuple[int, Any]] | None = None
    position = _skip_space(text, _skip_space(text, 0) + 1)  # after "{"
    while position < len(text) and text[position] != "}":
        key, position = decoded(position)
        position = _skip_space(text, position)
        if not isinstance(key, str) or text[position:position + 1] != ":":
            raise SnapshotError("invalid JSON: expected a member name and ':'", source, _line_of(text, position))
        position = _skip_space(text, position + 1)
        if key == "dailyPapers" and text[position:position + 1] == "[":
            ends: list[int] = []
            items = list(islice(iter_array_items(text, source, position, ends), MAX_ITEMS + 1))
            if len(items) > MAX_ITEMS:
                return items  # refused by the caller, the rest unread
            position = ends[0]
        else:
            _, position = decoded(position)
            if key == "dailyPapers":
                items = None  # not a list
        position = _skip_space(text, position)
        if text[position:position + 1] == ",":
            position = _skip_space(text, position + 1)
        elif text[position:position + 1] != "}":
            raise SnapshotError("invalid JSON: expected ',' or '}' (is the file truncated?)", source,
                                _line_of(text, min(position, len(text))))
    if position >= len(text) or _skip_space(text, position + 1) != len(text):
        raise SnapshotError("invalid JSON: expected '}' at the end, and nothing after it", source,
                            _line_of(text, min(position, len(text))))
    if items is None:
        raise SnapshotError("not a Daily Papers snapshot: no list of papers found", source, 1)
    return items


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


#: The largest count read, as in text dumps (9 digits): anything larger is not a count.
MAX_COUNT = 999_999_999


def _shown_value(value: Any) -> str:
    """A JSON value as the file has it, cut short, for messages; a list or an object by its kind
    (written out, one nested hundreds deep would exceed Python's recursion limit)."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _value_error(message: str, source: str, line: int, name: str, value: Any) -> SnapshotError:
    """An error about the value of member ``name`` of the item at ``line``; ``parse_json_snapshot``
    tells it at the value's own line (see ``_value_line``)."""
    error = SnapshotError(message, source, line)
    error.member = (name, value)
    return error


def _value_line(text: str, line: int, name: str, value: Any) -> int:
    """The line of the first member ``name`` holding ``value`` from ``line`` on (the item's); else ``line``."""
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    decoder = strict_decoder()
    for found in re.finditer(rf'"{re.escape(name)}"\s*:\s*', text[start:]):
        try:
            member, _ = decoder.raw_decode(text, start + found.end())
        except (ValueError, RecursionError):
            continue
        if type(member) is type(value) and member == value:
            return line + text.count("\n", start, start + found.start())
    return line


def _count(value: Any, name: str, where: str, source: str, line: int) -> int | None:
    """A count from the item (None if it has none); SnapshotError for a value that is not one."""
    if value is None:
        return None
    if type(value) is float and value.is_integer():  # 2.0: a whole number written so
        value = int(value)
    if type(value) is int and 0 <= value <= MAX_COUNT:
        return value
    raise _value_error(f"{where} has {name} {_shown_value(value)}, which is not a count (a whole number "
                       f"from 0 to {MAX_COUNT:,})", source, line, name, value)


#: An http(s) URL without spaces, quotes, angle brackets or backslashes (which browsers read as
#: "/": "https://a.example\\@b.example/" leads to a.example, where a reader of it sees b.example).
_WEB_URL_RE = re.compile(r"^https?://[^\s<>\"'\\]+$", re.IGNORECASE)
#: A repository on GitHub, the only host a link labelled as GitHub's may go to.
GITHUB_RE = re.compile(r"^https?://(?:www\.)?github\.com/[^/\s?#]+/[^/\s?#]+", re.IGNORECASE)


def web_url(value: Any) -> str | None:
    """An http(s) URL from untrusted data, or None: no javascript:, data: or relative links, and
    none that ``url_problem`` refuses (no host, a bad port, a user name in it, as in
    "https://huggingface.co@evil.example/")."""
    if not isinstance(value, str) or not _WEB_URL_RE.match(url := value.strip()) or url_problem(url):
        return None
    return url


def _github_url(value: Any) -> str | None:
    url = web_url(value)
    return url if url is not None and GITHUB_RE.match(url) else None


#: A date as the API writes it: "2026-01-19", or with its time ("2026-01-19T08:00:00.000Z", or
#: "2026-01-19 08:00:00").  Not the other forms Python's fromisoformat takes ("2026-W03-1", "20260119").
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9:.]*(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?")


_OFFSET_RE = re.compile(r"[+-][0-9]{2}(?::?[0-9]{2})?$")  # a time's offset from UTC, at its end


def _iso_date(value: Any) -> dt.date | None:
    """The date of an API time, in UTC where it gives its offset ("2026-01-18T18:11:05-08:00" is
    2026-01-19 in UTC, as the hub's own times are)."""
    if not isinstance(value, str) or not _ISO_DATE_RE.fullmatch(value):
        return None
    try:
        if len(value) > 10 and _OFFSET_RE.search(value):
            return dt.datetime.fromisoformat(value).astimezone(dt.timezone.utc).date()
        return dt.date.fromisoformat(value[:10])
    except (ValueError, OverflowError):  # OverflowError: an offset that moves 9999-12-31 past the last date
        return None


def _published(value: Any, where: str, source: str, line: int) -> dt.date | None:
    """A ``publishedAt`` date (None if there is none); SnapshotError for a value that is not one."""
    if value is None:
        return None
    date = _iso_date(value)
    if date is None:
        raise _value_error(f"{where} has publishedAt {_shown_value(value)}, which is not a date (YYYY-MM-DD)",
                           source, line, "publishedAt", value)
    return date


def card_from_item(item: Any, rank: int, source: str, line: int) -> Card:
    """One API item as a Card; raises SnapshotError naming the item for anything unusable."""
    where = card_named(rank)  # as the cards of the other formats are told
    if not isinstance(item, dict):
        raise SnapshotError(f"{where} is not a JSON object", source, line)
    # Without a "paper" object (a list of the papers alone, as jq 'map(.paper)' makes), the item is the paper.
    paper = item.get("paper") if isinstance(item.get("paper"), dict) else item
    title = _text(paper.get("title")) or _text(item.get("title"))
    if not title:
        given = next((v for v in (paper.get("title"), item.get("title")) if v is not None and not isinstance(v, str)),
                     None)
        if given is not None:
            raise _value_error(f"{where} has a title that is not text: {_shown_value(given)}", source, line,
                               "title", given)
        raise SnapshotError(f"{where} has no title", source, line)
    # By its title too: an API answer is often one line, which tells no entry from another.
    where = card_named(rank, title)
    arxiv_id = paper.get("id")
    if arxiv_id is not None:
        if isinstance(arxiv_id, (int, float)) and not isinstance(arxiv_id, bool):  # 2411.19146 lost its quotes
            raise _value_error(f"{where} has an id that is a number, {_shown_value(arxiv_id)}, not text: an arXiv id "
                               f"is written in quotes (\"2411.19146\"), as a number it loses its trailing zeros",
                               source, line, "id", arxiv_id)
        if not isinstance(arxiv_id, str) or not ARXIV_ID_RE.fullmatch(arxiv_id):
            raise _value_error(f"{where} has an id that is not an arXiv id: {str(arxiv_id)[:40]!r}", source, line,
                               "id", arxiv_id)
        arxiv_id = unversioned(arxiv_id)
    org = paper.get("organization") if isinstance(paper.get("organization"), dict) else item.get("organization")
    organization = None
    if isinstance(org, dict) and _text(org.get("name")):
        handle = _text(org.get("name"))
        organization = Organization(handle=handle, name=_text(org.get("fullname")) or handle)
    # An empty list tells no authors, as a missing one: no count, where len() made it "0 authors".
    # An author is an object (its name may be hidden); anything else in the list is none.
    listed = paper.get("authors") if isinstance(paper.get("authors"), list) else []
    authors = [author for author in listed if isinstance(author, dict)] or None
    names = tuple(_text(a.get("name")) for a in authors or () if _text(a.get("name")))
    published = (_published(paper.get("publishedAt"), where, source, line)
                 or _published(item.get("publishedAt"), where, source, line))
    keywords = paper.get("ai_keywords")
    return Card(
        rank=rank,
        title=title,
        abstract=_text(paper.get("summary")) or _text(item.get("summary")),
        organization=organization,
        authors=len(authors) if authors is not None else None,
        published=PartialDate(published.month, published.day, published.year) if published else None,
        comments=_count(item.get("numComments"), "numComments", where, source, line),
        upvotes=_count(paper.get("upvotes"), "upvotes", where, source, line),
        arxiv_id=arxiv_id,
        url=f"{HUB}/papers/{arxiv_id}" if arxiv_id else None,
        line=line,
        author_names=names if authors is not None else None,
        github=_github_url(paper.get("githubRepo")),
        github_stars=_count(paper.get("githubStars"), "githubStars", where, source, line),
        project_page=web_url(paper.get("projectPage")),
        thumbnail=web_url(item.get("thumbnail")),
        keywords=tuple(_text(k) for k in keywords if _text(k)) if isinstance(keywords, list) else None,
    )


def cards_from_items(items: list[tuple[int, Any]], source: str,
                     problems: list[SnapshotError] | None = None) -> tuple[Card, ...]:
    """Cards from (line, item) pairs, ranked in order; a paper listed twice is kept once, unless
    the second time has another title or abstract: that card is kept too, for the warning that
    the site shows one paper for both (see digest.parse.merged_card_notes).  With ``problems``,
    an item that cannot be read is told there, not raised, and the items after it still read,
    numbered as they will be once it is mended."""
    cards: list[Card] = []
    seen: dict[str, Card] = {}
    unread = 0
    for line, item in items:
        try:
            card = card_from_item(item, len(cards) + unread + 1, source, line)
        except SnapshotError as error:
            if problems is None:
                raise
            problems.append(error)
            unread += 1
            continue
        key = card.arxiv_id or card.title.casefold()
        known = seen.setdefault(key, card)
        if known is card or (card.title, card.abstract) != (known.title, known.abstract):
            cards.append(card)
    return tuple(cards)


#: The share of a list's entries submitted on one day that makes that day its list day: a day's
#: answer has them all on its day; a trending or weekly one spreads them over days, and is no
#: day's list (dated by its file's name, or --date, as a trending page).
ONE_DAY_SHARE = 0.75


def list_day_from_items(items: list[tuple[int, Any]]) -> PartialDate | None:
    """The list day the items were submitted for: the ``submittedOnDailyAt`` date of nearly all
    of them (see ONE_DAY_SHARE), else None."""
    days = Counter()
    for _, item in items:
        if isinstance(item, dict):
            paper = item.get("paper") if isinstance(item.get("paper"), dict) else {}
            day = _iso_date(paper.get("submittedOnDailyAt")) or _iso_date(item.get("submittedOnDailyAt"))
            if day:
                days[day] += 1
    if not days:
        return None
    day, count = max(days.items(), key=lambda kv: (kv[1], kv[0]))
    if count < ONE_DAY_SHARE * sum(days.values()):
        return None
    return PartialDate(day.month, day.day, day.year)


def looks_like_json(text: str) -> bool:
    """A JSON array of objects or a JSON object; not a Markdown dump that opens with ``[a link](…)``."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return stripped[1:].lstrip()[:1] in ('"', "}")
    if not stripped.startswith("["):
        return False
    rest = stripped[1:].lstrip()
    # "[]" is an empty list only when nothing follows it: "[](https://…)" is an icon link.
    return rest.startswith("{") or (rest.startswith("]") and not rest[1:].strip())


#: Entries read at most: a day lists a few hundred papers (see digest.parse.MAX_CARDS).
MAX_ITEMS = 20_000


def _items(text: str, source: str) -> list[tuple[int, Any]]:
    """The (line, item) pairs of an API JSON array or a saved ``{"dailyPapers": [...]}`` object."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        items = _object_items(text, source)
    else:
        items = list(islice(iter_array_items(text, source), MAX_ITEMS + 1))
    if len(items) > MAX_ITEMS:
        # Refused before the cards are made: a million copies of one paper make one card, slowly.
        raise SnapshotError(f"not a day's list: more than {MAX_ITEMS:,} entries, where a day has a few hundred",
                            source, items[-1][0])
    if not items:
        raise SnapshotError("not a Daily Papers snapshot: the list of papers is empty", source, 1)
    return items


def _at_value_line(error: SnapshotError, text: str) -> SnapshotError:
    """The error told at its value's line, not its item's, where it is about one value."""
    if getattr(error, "member", None) is not None:
        error.line = _value_line(text, error.line, *error.member)
    return error


def parse_json_snapshot(text: str, source: str) -> ParsedSnapshot:
    """Read an API JSON array (or a saved ``{"dailyPapers": [...]}`` object) into a ParsedSnapshot."""
    items = _items(text, source)
    list_day = list_day_from_items(items)
    try:
        cards = cards_from_items(items, source)
    except SnapshotError as error:
        raise _at_value_line(error, text) from None
    return ParsedSnapshot(source=source, format="json", list_day=list_day, list_day_line=1, cards=cards,
                          years_printed=False)


def read_json_leniently(text: str, source: str, most: int | None = None) -> tuple[tuple[Card, ...], list[SnapshotError]]:
    """The cards of the items that read and the problems of those that do not, the first ``most``
    of them (for ``digest check``, which tells them all at once); nothing when the JSON itself
    does not read.  Finding a problem's line reads the text again: for the ones told only."""
    try:
        items = _items(text, source)
    except SnapshotError:
        return (), []
    problems: list[SnapshotError] = []
    cards = cards_from_items(items, source, problems)
    return cards, [_at_value_line(problem, text) for problem in problems[:most]]
