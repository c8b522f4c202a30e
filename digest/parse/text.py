"""Text dumps of the Daily Papers page (what a browser's "select all, copy" gives).

The dump is a run of blocks separated by blank lines: a header that ends with
the list day (``Dec 16``), then for every card a title block, an abstract
block and, on most cards, a meta block::

    deepseek-ai DeepSeek        or      • 127 authors
    ·                                   ·
    May 14 5                            Nov 7, 2024 2

The number after the date is the comment count; it is absent at zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from digest.errors import SnapshotError, card_named, shortened
from digest.models import MONTHS, Card, Organization, ParsedSnapshot, PartialDate

_MONTH_NUMBERS = {name.lower(): i + 1 for i, name in enumerate(MONTHS)}
_MONTH_NUMBERS.update(
    {
        name.lower(): i + 1
        for i, name in enumerate(
            ("January", "February", "March", "April", "May", "June", "July",
             "August", "September", "October", "November", "December")
        )
    }
)
_MONTH_NUMBERS["sept"] = 9

DATE_PATTERN = r"(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:,\s*(?P<year>\d{4}))?"
LIST_DAY_RE = re.compile(rf"^{DATE_PATTERN}$")
# Counts have at most 9 digits: longer runs are not counts (and int() of thousands of digits fails).
# After the "·" any number after the comma is the year, so that one no date has ("Jan 10, 0", "Jan 10,
# 99999") is told as the date it is not, not the line taken for a card's title.
# "1,127 authors", "1,234" comments: the page groups the digits of large counts.
COUNT_PATTERN = r"\d{1,9}|\d{1,3}(?:,\d{3}){1,2}"
_ANY_YEAR_DATE = DATE_PATTERN.replace("{4}", "{1,9}")
_META_RE = re.compile(rf"^(?P<who>.*?)\s*·\s*{_ANY_YEAR_DATE}(?:\s+(?P<comments>{COUNT_PATTERN}))?$")
AUTHORS_RE = re.compile(rf"^(?:[•·*-]\s*)?(?P<count>{COUNT_PATTERN})\s+authors?$", re.IGNORECASE)
HANDLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Characters that copy-paste leaves in words; the odd spaces it leaves (no-break, thin, ideographic,
# tabs) need no pattern: str.split() takes them for the spaces they are.  The zero-width joiner and
# non-joiner (U+200D, U+200C) stay: they are part of emoji and of the spelling of Persian and Indic words.
ZERO_WIDTH_CHARACTERS = "\u200b\u2060\ufeff"
ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH_CHARACTERS}]")


@dataclass(frozen=True, slots=True)
class Block:
    """Consecutive non-blank lines; ``line`` is the 1-based number of the first, and ``numbers``
    the number of each where some line between them was left out (None: one after another)."""

    line: int
    lines: tuple[str, ...]
    numbers: tuple[int, ...] | None = None

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    def line_of(self, index: int) -> int:
        """The 1-based number of ``lines[index]``."""
        return self.numbers[index] if self.numbers is not None else self.line + index

    def without_first(self) -> Block:
        return Block(self.line_of(1), self.lines[1:], self.numbers[1:] if self.numbers is not None else None)


def clean_lines(text: str) -> list[str]:
    """Lines with CRLF/CR ends, odd spaces, zero-width characters and trailing spaces removed.
    CR CR LF is one line end: a CRLF file whose line ends were converted to CRLF again (else
    every line would end a block)."""
    text = with_line_feeds(text)
    if any(character in text for character in ZERO_WIDTH_CHARACTERS):  # a scan each: cheaper than the regex
        text = ZERO_WIDTH.sub("", text)
    # A line of printable text with no double, leading or trailing space is clean as it is: most
    # lines, and splitting and joining each (a long abstract) cost most of the time of parsing.
    return [line if line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " "
            else _joined_words(line) for line in text.split("\n")]


def with_line_feeds(text: str) -> str:
    """The text with every line end (CR CR LF, CRLF, CR) a line feed, as clean_lines counts lines."""
    return text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")


def invisible_line(text: str, first: int, last: int | None = None) -> int | None:
    """The last line from ``first`` to ``last`` (default: the text's last) that clean_lines made
    blank though it was not: one of invisible characters only (zero-width spaces), which a reader
    takes for a blank line but where a card's title or abstract may have been."""
    raw = with_line_feeds(text).split("\n")
    cleaned = clean_lines(text)
    return next((number for number in range(len(raw) if last is None else min(last, len(raw)), first - 1, -1)
                 if number >= 1 and raw[number - 1].strip() and not cleaned[number - 1]), None)


def _joined_words(line: str) -> str:
    """The line's words joined by one space; a line of joiners alone (U+200C, U+200D, which stay
    in words) is as blank as it looks."""
    line = " ".join(line.split())
    return "" if not line.strip("\u200c\u200d ") else line


def split_blocks(lines: list[str]) -> list[Block]:
    """Group non-blank lines into blocks separated by one or more blank lines."""
    blocks: list[Block] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line:
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append(Block(start, tuple(current)))
            current = []
    if current:
        blocks.append(Block(start, tuple(current)))
    return blocks


def parse_date_text(match: re.Match[str], source: str, line: int) -> PartialDate | None:
    """A PartialDate from a regex match of ``DATE_PATTERN``; None if the month is not a month name."""
    month = _MONTH_NUMBERS.get(match["month"].lower())
    if month is None:
        return None
    day = int(match["day"])
    year = int(match["year"]) if match["year"] else None
    probe_year = year if year is not None else 2024  # a leap year, so Feb 29 is accepted
    try:
        PartialDate(month, day, probe_year).to_date()
    except ValueError:
        raise SnapshotError(f"'{match.group(0)}' is not a valid date", source, line) from None
    return PartialDate(month, day, year)


def parse_list_day(block: Block, source: str) -> PartialDate | None:
    """The list day if this block is a lone date line such as ``Dec 16``."""
    if len(block.lines) != 1:
        return None
    match = LIST_DAY_RE.match(block.lines[0])
    return parse_date_text(match, source, block.line) if match else None


@dataclass(frozen=True, slots=True)
class Meta:
    organization: Organization | None
    authors: int | None
    published: PartialDate
    comments: int | None


def parse_meta(block: Block, source: str, date_line: int | None = None) -> Meta | None:
    """The meta block of a card (who · date comments), or None if the block is not one;
    ``date_line`` is the line of its date (default: the block's last).  A copy that lost the "·"
    line leaves who and date on two lines of one block: still the meta block, as no title or
    abstract ends in a line of a date alone."""
    if len(block.lines) > 4:
        return None
    text = block.text
    if "·" not in text:
        if len(block.lines) != 2 or not is_meta_part(block.lines[1]) or block.lines[1] == "·":
            return None
        text = f"{block.lines[0]} · {block.lines[1]}"
    match = _META_RE.match(text)
    if not match:
        return None
    published = parse_date_text(match, source, date_line or block.line_of(len(block.lines) - 1))
    if published is None:
        return None
    who = match["who"].strip()
    organization, authors = None, None
    authors_match = AUTHORS_RE.match(who)
    if authors_match:
        authors = shown_count(authors_match["count"])
    elif who:
        handle, _, name = who.partition(" ")
        if not HANDLE_RE.match(handle):
            raise SnapshotError(f"'{shortened(who)}' is neither an author count nor an organization", source,
                                block.line)
        organization = Organization(handle=handle, name=name.strip() or handle)
    comments = int(match["comments"].replace(",", "")) if match["comments"] else None
    return Meta(organization, authors, published, comments)


def meta_at(blocks: list[Block], index: int, source: str, *, who_first: bool = True) -> tuple[Meta | None, int]:
    """The meta block at ``blocks[index]`` and how many blocks it takes: one, or, where a copy put
    blank lines between its lines, the one-line blocks of who (if shown), "·" and the date.
    Without ``who_first``, a block is not taken for the who of such blocks (where an abstract
    is due, the abstract of a card whose meta line has no who)."""
    if index >= len(blocks):
        return None, 0
    meta = parse_meta(blocks[index], source)
    if meta is not None:
        return meta, 1
    for dot in (index, index + 1) if who_first else (index,):  # "·" first (no who), or after the who
        group = blocks[index:dot + 2]
        if (len(group) == dot + 2 - index and blocks[dot].lines == ("·",)
                and all(len(block.lines) == 1 for block in group)):
            meta = parse_meta(Block(group[0].line, tuple(b.lines[0] for b in group)), source, group[-1].line)
            if meta is not None:
                return meta, len(group)
    return None, 0


_LONE_COUNT_RE = re.compile(rf"^(?:{COUNT_PATTERN})$")


def _comment_count_after(blocks: list[Block], index: int, source: str) -> int | None:
    """The comment count in a block of its own after a meta line's date (a copy put a blank line
    between them), or None.  A number there may instead be the next card's title ("2048"): it is
    when, read so, the blocks up to the next meta line (or the end) pair up as titles and
    abstracts, as cards without a meta line have them (a meta line right after its abstract is
    the simplest case)."""
    if index >= len(blocks) or len(blocks[index].lines) != 1 or not _LONE_COUNT_RE.match(blocks[index].lines[0]):
        return None
    following = index + 1
    while following < len(blocks) and not _meta_block(blocks, following):
        following += 1
    if (following - index) % 2 == 0:
        return None
    return int(blocks[index].lines[0].replace(",", ""))


#: A line that is only a count (or a dash, zero) before a title: the upvote count, where a copy
#: kept it (text and crawler dumps), or the text of its element (saved HTML).
UPVOTE_COUNT_RE = re.compile(r"^(?:[-–—]|\d{1,9}|\d{1,3}(?:,\d{3}){1,2}|\d{1,3}(?:\.\d)?[kK])$")


_NUMBER_RE = re.compile(r"(?P<int>\d[\d,]*)(?:\.(?P<frac>\d+))?\s*(?P<unit>[kKmM])?(?![\w.])")


def shown_count(text: str) -> int | None:
    """A count as the page shows it: ``6``, ``1,234``, ``12.6k``; None when there is none."""
    match = _NUMBER_RE.search(text)
    if not match or len(match["int"]) > 20:  # no count has that many digits (and int() refuses thousands)
        return None
    whole = int(match["int"].replace(",", ""))
    if not match["unit"]:
        return whole
    scale = 1000 if match["unit"] in "kK" else 1_000_000
    fraction = (match["frac"] or "")[:3]
    return whole * scale + (int(fraction) * scale // 10 ** len(fraction) if fraction else 0)


def _count_before_title(blocks: list[Block], index: int, source: str) -> bool:
    """Whether the card at ``blocks[index]`` starts with an upvote count: its first line is one,
    and read so, an abstract follows the title (a title that is a number, "2048", is then no count)."""
    if not UPVOTE_COUNT_RE.match(blocks[index].lines[0]):
        return False
    abstract = index + (1 if len(blocks[index].lines) > 1 else 2)
    return (abstract < len(blocks) and meta_at(blocks, abstract, source, who_first=False)[0] is None
            and not is_meta_part(blocks[abstract].text))


_DATE_AND_COUNT_RE = re.compile(rf"^{DATE_PATTERN}(?:\s+(?:{COUNT_PATTERN}))?$")


def is_meta_part(text: str) -> bool:
    """Whether a block is what is never a card's title or abstract: a part of a meta line
    ("·", an author count, a date with its comment count)."""
    date = _DATE_AND_COUNT_RE.match(text)
    return text == "·" or bool(AUTHORS_RE.match(text)) or bool(date and date["month"].lower() in _MONTH_NUMBERS)


#: What a "select all" copy brings along of the page around the list: the day pager, the theme
#: switch, the footer's links, and the page's own sentences (_PAGE_SENTENCES).  A block of these
#: lines only is no card, before the first card or after the last.
_PAGE_SENTENCES = ("get trending papers in your email inbox!", "subscribe", "search any paper with ai", "daily",
                   "weekly", "monthly", "daily papers", "trending papers")
_PAGE_PHRASES = (*map(re.escape, _PAGE_SENTENCES),  # the other phrases have nothing to escape
                 "previous day", "next day", "previous", "next", "load more", "show more", "see all", "view all",
                 "system theme", "light theme", "dark theme", "company", "tos", "terms of service", "privacy",
                 "about", "jobs", "careers", "website", "models", "datasets", "spaces", "pricing", "docs",
                 "enterprise", "blog", "learn", "forum", "status", "changelog", "community", "posts",
                 "hugging face")
_PAGE_LINE_RE = re.compile(rf"^(?:{'|'.join(_PAGE_PHRASES)})(?:\s+(?:{'|'.join(_PAGE_PHRASES)}))*$|^©.*$",
                           re.IGNORECASE)
_SENTENCES = "|".join(map(re.escape, _PAGE_SENTENCES))
_PAGE_SENTENCE_RE = re.compile(rf"^(?:{_SENTENCES})(?:\s+(?:{_SENTENCES}))*$", re.IGNORECASE)


def _is_page_furniture(block: Block, *, first: bool = False) -> bool:
    """Whether the block is of the page around the list.  Where the ``first`` card's title is due,
    a line of one block may be a paper's title ("Community"): only the day pager, the page's own
    sentences or several lines are the page's."""
    return (all(_PAGE_LINE_RE.match(line) for line in block.lines)
            and (not first or len(block.lines) > 1 or " day" in block.lines[0].casefold()
                 or bool(_PAGE_SENTENCE_RE.match(block.lines[0]))))


#: The heading of the trending page, which shows no list day (the snapshot is dated by its file
#: name or --date), and the line under it.
_TRENDING_HEADING_RE = re.compile(r"^trending(?: papers)?$", re.IGNORECASE)
_BYLINE_RE = re.compile(r"^by\s*AK and the research community$", re.IGNORECASE)
#: How many blocks of the page may come before the trending page's heading.
_BLOCKS_BEFORE_HEADING = 12


def _trending_heading(blocks: list[Block]) -> int | None:
    """The index of the heading of a dump of the trending page, near its top; None if there is none."""
    return next((index for index, block in enumerate(blocks[:_BLOCKS_BEFORE_HEADING])
                 if len(block.lines) == 1 and _TRENDING_HEADING_RE.match(block.lines[0])), None)


SUBMITTED_BY_RE = re.compile(r"^submitted by(?::?\s+(?P<user>\S+))?$", re.IGNORECASE)


def _meta_block(blocks: list[Block], index: int) -> bool:
    """Whether ``blocks[index]`` is a meta line (who · date) or starts one spread over blocks."""
    try:
        return meta_at(blocks, index, "")[0] is not None
    except SnapshotError:  # a meta line with a fault: still one (the card's reading tells the fault)
        return True


def _without_submitters(blocks: list[Block]) -> list[Block]:
    """The blocks without the "Submitted by <user>" of each card (its own line or block, the user
    on the same line or the next one), which is neither a title, an abstract nor an organization."""
    kept: list[Block] = []
    user_due = False  # the line before was a bare "Submitted by": its user may come next
    for index, block in enumerate(blocks):
        lines: list[str] = []
        numbers: list[int] = []
        # After a card's meta line, a user after a blank line may instead be the next card's one-word
        # title ("Lumiere"): it is, when read so, its abstract is followed by a meta line.
        if (user_due and len(block.lines) == 1 and (not kept or _meta_block(kept, len(kept) - 1))
                and _meta_block(blocks, index + 2)):
            user_due = False
        for offset, line in enumerate(block.lines):
            due, user_due = user_due, False
            found = SUBMITTED_BY_RE.match(line)
            if found or (due and HANDLE_RE.match(line)):
                user_due = bool(found) and found["user"] is None
                continue
            lines.append(line)
            numbers.append(block.line + offset)
        if len(lines) == len(block.lines):
            kept.append(block)
        elif lines:
            contiguous = numbers[-1] - numbers[0] == len(numbers) - 1
            kept.append(Block(numbers[0], tuple(lines), None if contiguous else tuple(numbers)))
    return kept


#: What was meant for a date: a word, then a number (a month misspelt, or in another language).
_DATE_LIKE_RE = re.compile(r"^[^\W\d_]+\.?\s+\d")
_ANY_YEAR_DATE_RE = re.compile(rf"^{_ANY_YEAR_DATE}(?:\s+(?:{COUNT_PATTERN}))?$")


def _check_meta_dates(blocks: list[Block], start: int, source: str) -> None:
    """SnapshotError for a meta line whose date, after its "·" line, is not one: read as text,
    it would be told as a card with a title but no abstract, or taken for the next card's title."""
    for index in range(start, len(blocks)):
        lines = blocks[index].lines
        if lines[-1] == "·" and index + 1 < len(blocks):
            block, at = blocks[index + 1], 0
        elif len(lines) >= 2 and lines[-2] == "·":
            block, at = blocks[index], len(lines) - 1
        else:
            continue
        date = block.lines[at]
        dated = _ANY_YEAR_DATE_RE.match(date)  # a month's day: parse_meta tells what is wrong with it
        if _DATE_LIKE_RE.match(date) and not (dated and dated["month"].lower() in _MONTH_NUMBERS):
            raise SnapshotError(f"'{shortened(date)}' where a card's date should be: a month and a day, as in "
                                f"'May 14' or 'May 14, 2025', then its comment count", source, block.line_of(at))


_LIST_ITEM_RE = re.compile(r"^(?:\d{1,2}[.)]|[-*•–])\s")


def _reads_as_a_sentence(title: str) -> bool:
    """Whether a title is more likely a paragraph of an abstract: an item of a list, or words
    ending in a full stop (titles do not end in one)."""
    return bool(_LIST_ITEM_RE.match(title)) or (title.endswith(".") and not title.endswith("..")
                                                 and len(title.split()) >= 4)


def parse_text_snapshot(text: str, source: str) -> ParsedSnapshot:
    """Read a text dump into a ParsedSnapshot; raise SnapshotError naming the line at fault."""
    blocks = split_blocks(clean_lines(text))
    if not blocks:
        raise SnapshotError("not a Daily Papers snapshot: the file is empty", source, 1)

    # The trending page has a heading and no list day: a date alone on a line after its heading is
    # a card's (a meta line with blank lines inside it), not the list's.
    heading = _trending_heading(blocks)
    list_day, list_day_line, start = None, 0, 0
    for index, block in enumerate(blocks if heading is None else blocks[:heading]):
        list_day = parse_list_day(block, source)
        if list_day is not None:
            list_day_line, start = block.line, index + 1
            break
    if list_day is None:
        if heading is None:
            raise SnapshotError(
                "not a Daily Papers snapshot: no list of papers found (no list day such as 'Dec 16')", source, 1
            )
        list_day_line, start = blocks[heading].line, heading + 1  # the list's problems are told at the heading
        if start < len(blocks) and all(_BYLINE_RE.match(line) for line in blocks[start].lines):
            start += 1

    blocks = blocks[:start] + _without_submitters(blocks[start:])
    while start < len(blocks) and _is_page_furniture(blocks[start], first=True):
        start += 1
    while len(blocks) > start and _is_page_furniture(blocks[-1]):
        blocks.pop()
    _check_meta_dates(blocks, start, source)
    cards: list[Card] = []
    notes: list[str] = []
    unmet = False  # the card before had no meta line
    seen: set[tuple[str, str]] = set()
    # A dump shows upvote counts before every title, or before none: its first card tells.
    counted = start < len(blocks) and _count_before_title(blocks, start, source)
    index = start
    while index < len(blocks):
        upvotes = None
        if counted and _count_before_title(blocks, index, source):
            count = blocks[index].lines[0]
            if len(blocks[index].lines) > 1:  # the count, then the title
                blocks[index] = blocks[index].without_first()
            else:
                index += 1
            upvotes = shown_count(count) or 0  # "-": none
        title_block = blocks[index]
        if meta_at(blocks, index, source)[0] is not None:
            raise SnapshotError("meta line (who · date) without a title and abstract before it",
                                source, title_block.line)
        if index + 1 >= len(blocks) or meta_at(blocks, index + 1, source, who_first=False)[0] is not None:
            # Where a line of zero-width characters alone came before, that was the title, and
            # this is the abstract: a title no reader could see.
            after = blocks[index - 1].line_of(len(blocks[index - 1].lines) - 1) + 1 if index else 1
            hidden = invisible_line(text, after, title_block.line - 1)
            if hidden is not None:
                raise SnapshotError(f"card {len(cards) + 1} has a title of invisible characters only", source, hidden)
            # And where such a line came after the title, that was the abstract.
            before = blocks[index + 1].line - 1 if index + 1 < len(blocks) else None  # None: to the end
            hidden = invisible_line(text, title_block.line_of(len(title_block.lines) - 1) + 1, before)
            if hidden is not None:
                raise SnapshotError(f"{card_named(len(cards) + 1, title_block.text)} has an abstract of invisible "
                                    f"characters only", source, hidden)
            raise SnapshotError(f"card '{shortened(title_block.text)}' has a title but no abstract",
                                source, title_block.line)
        abstract_block = blocks[index + 1]
        for block, what in ((title_block, "title"), (abstract_block, "abstract")):
            if is_meta_part(block.text):
                raise SnapshotError(f"'{shortened(block.text)}' where a card's {what} should be: part of a "
                                    f"meta line (who · date) that is not whole", source, block.line,
                                    opens_card=what == "title")
        meta, taken = meta_at(blocks, index + 2, source)
        if meta is not None and meta.comments is None and not counted:
            comments = _comment_count_after(blocks, index + 2 + taken, source)
            if comments is not None:
                meta, taken = replace(meta, comments=comments), taken + 1
        index += 2 + taken
        if unmet and _reads_as_a_sentence(title_block.text):
            notes.append(f"{source}:{title_block.line}: the card '{shortened(title_block.text)}' has a title that reads "
                         f"as a sentence, after a card without a meta line (who · date): if a blank line split an "
                         f"abstract in two, join its paragraphs")
        unmet = meta is None
        # A card shown twice is the same text twice (the trending page shows each card twice): one
        # paper, listed once.  Two cards of one title and other abstracts are kept, for a warning.
        identity = (title_block.text, abstract_block.text)
        if identity in seen:
            continue
        seen.add(identity)
        cards.append(
            Card(
                rank=len(cards) + 1,
                title=title_block.text,
                abstract=abstract_block.text,
                organization=meta.organization if meta else None,
                authors=meta.authors if meta else None,
                published=meta.published if meta else None,
                comments=meta.comments if meta else None,
                upvotes=upvotes,
                line=title_block.line,
            )
        )
    if not cards:
        raise SnapshotError(f"not a Daily Papers snapshot: no papers after the {'list day' if list_day else 'heading'}",
                            source, list_day_line)
    return ParsedSnapshot(source=source, format="text", list_day=list_day,
                          list_day_line=list_day_line, cards=tuple(cards), notes=tuple(notes))


def _ends_a_card(line: str) -> bool:
    """Whether a line (cleaned) ends a card's meta line, or is the list day: a month's day alone
    or with a count, or a whole meta line (who · date)."""
    dated = _ANY_YEAR_DATE_RE.match(line) or _META_RE.match(line)
    return bool(dated) and dated["month"].lower() in _MONTH_NUMBERS


def without_card_at(text: str, line: int, opens_card: bool = False) -> str | None:
    """The text with the card that holds ``line`` blanked out, its lines kept (so that later
    lines keep their numbers): from the line after the meta line or list day before it (or from
    ``line`` itself, where it ``opens_card``) to the end of its own meta line.  None if nothing
    there is blank yet (nothing would change)."""
    raw = with_line_feeds(text).split("\n")
    cleaned = clean_lines(text)
    if not 1 <= line <= len(raw):
        return None

    def ends(index: int) -> bool:  # a date, or what stands where a meta line's date goes (after its "·")
        before = next((cleaned[i] for i in range(index - 1, -1, -1) if cleaned[i]), "")
        return _ends_a_card(cleaned[index]) or (before == "·" and cleaned[index] not in ("", "·"))

    start = line - 1
    while start > 0 and not ends(start - 1):
        start -= 1
    end = line - 1
    if opens_card and end < len(raw) - 1:
        start, end = end, end + 1  # a title ends no card, even one that reads as a date
    while end < len(raw) - 1 and not ends(end):
        end += 1
    if not any(raw[start:end + 1]):
        return None
    return "\n".join(raw[:start] + [""] * (end + 1 - start) + raw[end + 1:])
