"""Snapshot parsers: pure functions from a file's text to a ParsedSnapshot.

``parse_snapshot`` picks the parser by content.  Each parser raises
``SnapshotError`` naming the file and line for input it cannot read.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import fields, replace

from digest.errors import SnapshotError, card_named, shortened
from digest.files import MAX_SNAPSHOT_BYTES
from digest.models import Card, Organization, ParsedSnapshot, normalise_title
from digest.parse.api import looks_like_json, parse_json_snapshot, read_json_leniently
from digest.parse.crawl import looks_like_crawler_dump, parse_crawler_dump
from digest.parse.html import looks_like_html, parse_html_snapshot
from digest.parse.text import parse_text_snapshot, with_line_feeds, without_card_at
from digest.text import DIRECTION_CONTROLS, UNFIT, invisible

__all__ = ["decode_snapshot", "parse_snapshot", "parse_text_snapshot", "parse_json_snapshot"]

#: Formats in the order they are tried: (name, does the text look like it, parser).
#: The text dump parser comes last: it takes anything and says clearly when it is not a snapshot.
PARSERS = (
    ("json", looks_like_json, parse_json_snapshot),
    ("html", looks_like_html, parse_html_snapshot),
    ("crawler dump", looks_like_crawler_dump, parse_crawler_dump),
    ("text", lambda text: True, parse_text_snapshot),
)




#: The longest title and abstract a card may have: arXiv allows 1,920 characters of abstract
#: and titles of a line or two.  Longer text is no paper's, and would make every page, feed and
#: e-mail that shows it as large (topic rules alone would take seconds on a megabyte of it).
MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
#: The longest organization name, author name or keyword, and the longest link, a card may have:
#: names are a few words, and a link as long as browsers take.
MAX_NAME, MAX_LINK = 1_000, 2_000

#: arXiv's first year: a paper dated before it is a typing error ("Jan 5, 1" for "Jan 5 1", one comment).
FIRST_ARXIV_YEAR = 1991

#: The most papers a snapshot may list: a day has dozens, and a file of thousands would make as many
#: pages before failing on its e-mail's size.
MAX_CARDS = 1000

#: Bounds checked before parsing, with cheap counts: input far beyond them is no day's list, and
#: reading it first took minutes and gigabytes (BeautifulSoup makes a tree of 5.5 million tags in
#: 1.5 minutes and 2.5 GB; the Markdown reader takes 1 to 5 µs a character).
#: The most "<" (tags, near enough) of a saved page: the pages in tests/fixtures/html have at most 125
#: a card (trending.html: 626 for 5 cards shown twice); 300 a card is 2.4 times that, and a day's
#: page of a few dozen cards has a hundredth of it.  (A page of 1.5 million tags took 15-23 s.)
MAX_TAGS = 300 * MAX_CARDS
#: The most "[" of a crawler dump: every link, image and reference opens with one, and the dumps in
#: tests/fixtures/crawl have at most 16 a card (reference-links.md: 47 for 3); 200 a card is 12 times that.
MAX_BRACKETS = 200 * MAX_CARDS
#: The longest paragraph of a crawler dump: five times the longest abstract taken, 50 times the longest
#: paragraph of the dumps in tests/fixtures and content/snapshots (1,922 characters).
MAX_PARAGRAPH = 5 * MAX_ABSTRACT
#: The most blocks of text (between blank lines) of a text or crawler dump: a card makes a few, and
#: splitting millions of them took seconds and gigabytes before the cards could be counted.
MAX_BLOCKS = 20 * MAX_CARDS
#: A blank line (in text whose line ends are all "\n"): spaces of any kind alone are blank too.
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


def decode_snapshot(data: bytes, source: str) -> str:
    """The text of a snapshot file, which must be UTF-8, or UTF-16 or UTF-32 with its byte order
    mark (as Windows editors save "Unicode" text); binary data and huge files are refused."""
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise SnapshotError(f"not a Daily Papers snapshot: more than {MAX_SNAPSHOT_BYTES // 1048576} MB, far larger "
                            f"than a day's page", source)
    # UTF-32's marks first: its little-endian one starts with UTF-16's.
    for mark, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                           (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(mark):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                line = data[:error.start].decode(encoding, "replace").count("\n") + 1
                raise SnapshotError(f"not {encoding.upper()} text (a broken character after its byte order mark)",
                                    source, line) from None
    if b"\x00" in data[:65536]:
        raise SnapshotError("not a Daily Papers snapshot: binary data (NUL bytes)", source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SnapshotError(f"not UTF-8 text (byte 0x{data[error.start]:02x})", source, line) from None


def parse_snapshot_bytes(data: bytes, source: str) -> ParsedSnapshot:
    """A snapshot file's bytes, decoded and parsed; ``source`` is how messages name the file."""
    return parse_snapshot(decode_snapshot(data, source), source)


def parse_snapshot(text: str, source: str) -> ParsedSnapshot:
    """Parse a snapshot of any supported format, recognised by its content, not its file name."""
    if "\r" in text:  # every format's lines counted as text dumps count them (a file of CR line ends too)
        text = with_line_feeds(text)
    if _other_json(text):
        raise SnapshotError("not a Daily Papers snapshot: JSON, but not a list of papers (a list of objects, "
                            "or an object with 'dailyPapers')", source, 1)
    for name, looks_like, parse in PARSERS:
        if looks_like(text):
            if name == "text":
                _check_blocks(text, source)
            if name == "html" and (links := text.count("/papers/")) > 40 * MAX_CARDS:
                # A card links its paper a few times; the page's tree of 100,000 cards took a minute to make.
                raise SnapshotError(f"not a day's list: {links:,} links to papers, where a day's cards have a few "
                                    f"hundred (digest takes up to {MAX_CARDS:,} cards)", source, 1)
            if name == "html" and (tags := text.count("<")) > MAX_TAGS:
                raise SnapshotError(f"not a day's page: {tags:,} tags, where a day's page has some thousands "
                                    f"(digest takes up to {MAX_TAGS:,})", source, 1)
            if name == "crawler dump":
                _check_dump(text, source)
            parsed = parse(text, source)
            if len(parsed.cards) > MAX_CARDS:
                raise SnapshotError(f"not a day's list: {len(parsed.cards):,} papers, where a day has at most a few "
                                    f"hundred (digest takes up to {MAX_CARDS:,})", source, 1)
            cards = tuple(_fit_card(card, source) for card in parsed.cards)
            return replace(parsed, cards=cards,
                           notes=parsed.notes + merged_card_notes(cards, source) + year_count_notes(cards, source))
    raise SnapshotError("not a Daily Papers snapshot: no list of papers found", source, 1)


class MoreProblems(SnapshotError):
    """Not a problem but a note, last of ``later_problems``: that the file has more problems than
    told, or may have."""


def later_problems(text: str, source: str, first: SnapshotError, most: int = 20) -> list[SnapshotError]:
    """The problems of a snapshot besides the first the build meets, ``first``, up to ``most``
    more.  The entries of API JSON and the cards of a crawler dump are each read on their own.
    In a text dump, the card at fault is blanked out and the rest read again, until it reads or a
    problem of the whole file comes (no list day, no papers).  Saved pages are read as a whole:
    none is looked for.  Where more problems follow (or may: see REREAD_CHARACTERS), a last
    MoreProblems says so, at the line of the last one told."""
    if "\r" in text:
        text = with_line_feeds(text)
    name = next(name for name, looks_like, _ in PARSERS if looks_like(text))
    if name in ("json", "crawler dump"):
        found, stopped = _later_card_problems(name, text, source, first, most), None
    elif name == "text":
        found, stopped = _later_text_problems(text, source, first, most)
    else:
        return []
    if len(found) > most:
        stopped = f"more problems follow: check tells {most + 1} problems of a file; mend these and check again"
    if stopped is None:
        return found
    told = found[:most]
    last = max((problem.line or 0 for problem in (first, *told)), default=0)
    return [*told, MoreProblems(stopped, source, last or None)]


#: A message about a card that names it by its number ("card 3 has ...", see digest.errors.card_named).
_CARD_NUMBER_RE = re.compile(r"^card (\d+)\b")


def problem_place(problem: SnapshotError) -> tuple[int, int]:
    """Where a problem is in its file: its line, then its card's number (the entries of an API
    answer written on one line share it)."""
    number = _CARD_NUMBER_RE.match(problem.message)
    return problem.line or 0, int(number[1]) if number else 0

#: How much text digest check reads again, in all, looking past the broken cards of a text dump
#: (once at least): each broken card costs a reading of the whole file, about a second for 20
#: million characters.  (A 46 MB dump of 25 broken cards took 73 s.)
REREAD_CHARACTERS = 20_000_000


def _later_text_problems(text: str, source: str, first: SnapshotError,
                         most: int) -> tuple[list[SnapshotError], str | None]:
    """The problems but ``first`` of a text dump: the card at fault is set aside (blanked out, its
    lines kept) and the rest read again, until it reads, a problem of the whole file comes, or one
    told before comes again; then each card of what reads is checked on its own (as the build
    checks it once the file reads, see _fit_card).  Cards are numbered as the file shows them,
    those set aside counted.  The file is read again until ``most`` + 1 problems are found or
    REREAD_CHARACTERS are read; then (problems, why the search stopped short), else (problems, None)."""
    told = {(first.line, first.message)}
    found: list[SnapshotError] = []
    set_aside: list[int] = []  # the lines at fault of the cards set aside
    read = 0

    def numbered(error: SnapshotError) -> SnapshotError:
        """The error with its card's number counting the cards set aside before it; without its
        traceback, whose frames hold a whole reading of the file (a large one's, hundreds of MB)."""
        match = _CARD_NUMBER_RE.match(error.message)
        if match is None or error.line is None:
            return error.with_traceback(None)
        number = int(match[1]) + sum(1 for line in set_aside if line < error.line)
        return SnapshotError(f"{card_named(number)}{error.message[match.end():]}", error.path, error.line,
                             opens_card=error.opens_card)

    problem = first
    while problem.line is not None and len(found) <= most:
        rest = without_card_at(text, problem.line, problem.opens_card)
        if rest is None:
            return found, None
        if read and read + len(rest) > REREAD_CHARACTERS:  # once at least
            return found, ("more problems may follow: past each broken card check reads the whole file again, "
                           "which it does for a large file only so often; mend these and check again")
        text = rest
        read += len(text)
        set_aside.append(problem.line)
        try:
            cards = parse_text_snapshot(text, source).cards
        except SnapshotError as error:
            if error.line is None or (error.line, error.message) in told or error.message.startswith("not a Daily"):
                return found, None
            told.add((error.line, error.message))
            problem = numbered(error)
            found.append(problem)
            continue
        for card in cards:
            try:
                _fit_card(card, source)
            except SnapshotError as error:
                error = numbered(error)
                if (error.line, error.message) not in told:
                    found.append(error)
        return found, None
    return found, None


def _later_card_problems(name: str, text: str, source: str, first: SnapshotError, most: int) -> list[SnapshotError]:
    """The problems but ``first`` of an API JSON snapshot's entries or a crawler dump's cards, each
    read on its own, in the order of their lines (of JSON entries, the first ``most`` + 1 besides
    it: one more than told, which says that more follow)."""
    whole_file: list[SnapshotError] = []  # told last: met once the cards' problems are mended
    if name == "json":
        cards, problems = read_json_leniently(text, source, most + 2)
    else:
        problems = []
        try:
            _check_dump(text, source)
            cards = parse_crawler_dump(text, source, problems).cards
        except SnapshotError as error:
            cards, whole_file = (), [error]
    for card in cards:
        try:
            _fit_card(card, source)
        except SnapshotError as error:
            problems.append(error)
    problems = sorted(problems, key=problem_place) + whole_file
    told = [str(problem) for problem in problems]
    # All but the first, also those before it: the build meets the entries' problems before the
    # cards' (JSON), and the headings' before the cards' (crawler dumps).
    return [problem for problem, text in zip(problems, told) if text != str(first)] if str(first) in told else []


def _other_json(text: str) -> bool:
    """Whether the text is JSON (an array or object) that is not a snapshot's, such as ``[1, 2]``:
    read as a text dump, it was told to have no list day."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] not in ("[", "{") or looks_like_json(text):
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    except RecursionError:  # arrays in arrays, thousands deep: JSON still, and no list of papers
        pass
    return True


#: The latest year a count after a year-less date is taken for, in a warning: a year to come is
#: no paper's either.
_LAST_YEAR_LIKE = 2100


def year_count_notes(cards: tuple[Card, ...], source: str) -> tuple[str, ...]:
    """A warning for each card whose comment count, after a date without a year, reads as a
    year ("May 14 2025"): the page writes a year after a comma ("May 14, 2025"), so the number
    is read as comments and the date as one of the list's year, which is likely wrong."""
    return tuple(
        f"{source}:{card.line}: the card '{shortened(card.title)}' has {card.comments} comments after its date "
        f"{card.published.text()}: if {card.comments} is the year, write it after a comma "
        f"('{card.published.text()}, {card.comments}'), as the page does"
        for card in cards
        if card.published is not None and card.published.year is None and card.comments is not None
        and FIRST_ARXIV_YEAR <= card.comments <= _LAST_YEAR_LIKE and card.line)


def merged_card_notes(cards: tuple[Card, ...], source: str) -> tuple[str, ...]:
    """A warning for each card that the site takes for the paper of an earlier card of the same
    list, as it knows papers across days (digest.library): by the arXiv id, else by the title
    with case, accents and punctuation set aside.  Two such cards in one list are most likely
    two papers; the site shows the first card's text for both.  A card shown twice (the same
    title and abstract) is one paper, and no warning."""
    notes: list[str] = []
    by_id: dict[str, Card] = {}
    by_title: dict[str, Card] = {}
    for card in cards:
        title = normalise_title(card.title)
        earlier = by_id.get(card.arxiv_id) if card.arxiv_id else None
        if earlier is None and (titled := by_title.get(title)) is not None and not (card.arxiv_id and titled.arxiv_id):
            earlier = titled
        if earlier is None:
            if card.arxiv_id:
                by_id[card.arxiv_id] = card
            by_title.setdefault(title, card)
        elif (card.title, card.abstract) != (earlier.title, earlier.abstract):
            why = ("they have the same arXiv id" if card.arxiv_id and card.arxiv_id == earlier.arxiv_id
                   else "they have the same title" if card.title == earlier.title
                   else "their titles differ only in case, accents or punctuation")
            where = f" at line {earlier.line}" if earlier.line else ""
            notes.append(f"{source}{f':{card.line}' if card.line else ''}: the card '{shortened(card.title)}' is taken "
                         f"for the same paper as the card{where}, '{shortened(earlier.title)}' ({why}), and shown with "
                         f"that card's text")
    return tuple(notes)


def _check_blocks(text: str, source: str, longest: int | None = None) -> None:
    """Refuse a text or crawler dump of far more blocks than a day's cards make (see MAX_BLOCKS),
    and, given ``longest``, one with a paragraph longer than that: one linear scan, before the
    slow parse.  Blank lines are counted as the parser sees them: of spaces alone too (the text's
    line ends are line feeds, see parse_snapshot)."""
    if longest is None and text.count("\n") <= 2 * MAX_BLOCKS:
        return  # each blank line takes two line ends of its own: too few of them to pass the bound
    start = blanks = 0
    # Paragraphs are measured up to the blank line after them: the end of the text ends the last.
    for blank in _BLANK_LINE.finditer(text if longest is None else text + "\n\n"):
        if longest is not None and blank.start() - start > longest:
            raise SnapshotError(f"not a day's list: a paragraph of {blank.start() - start:,} characters, where "
                                f"the longest of a card (its abstract) has a few thousand (digest takes up to "
                                f"{longest:,})", source, text.count("\n", 0, start) + 1)
        if (blanks := blanks + 1) > MAX_BLOCKS:
            raise SnapshotError(f"not a day's list: more than {MAX_BLOCKS:,} blocks of text, where a day's cards "
                                f"make a few hundred (digest takes up to {MAX_CARDS:,} cards)", source, 1)
        start = blank.end()


def _check_dump(text: str, source: str) -> None:
    """Refuse a crawler dump of far more link syntax, blocks or a far longer paragraph than a
    day's cards have (see MAX_BRACKETS, MAX_BLOCKS, MAX_PARAGRAPH), before the slow parse."""
    if (brackets := text.count("[")) > MAX_BRACKETS:
        raise SnapshotError(f"not a day's list: {brackets:,} links or brackets ('['), where a day's cards have "
                            f"a few thousand (digest takes up to {MAX_BRACKETS:,})", source, 1)
    _check_blocks(text, source, MAX_PARAGRAPH)


def _fit(text: str) -> str:
    """The text with what output cannot carry (``digest.text.UNFIT``) and direction controls
    gone, lone surrogates shown as U+FFFD, its spaces then collapsed.  Nearly all text is
    printable, which is checked first (a fast scan)."""
    if text.isprintable() or not (UNFIT.search(text) or DIRECTION_CONTROLS.search(text)):
        return text

    def replacement(match: re.Match[str]) -> str:
        character = match.group(0)
        return ("\ufffd" if "\ud800" <= character <= "\udfff" else
                " " if character.isspace() else "")

    return " ".join(UNFIT.sub(replacement, DIRECTION_CONTROLS.sub("", text)).split())


def _fit_value(value):
    if isinstance(value, str):
        return _fit(value)
    if isinstance(value, tuple):
        return tuple(_fit(item) if isinstance(item, str) else item for item in value)
    if isinstance(value, Organization):
        return Organization(_fit(value.handle), _fit(value.name))
    return value


_TEXT_FIELDS = tuple(field.name for field in fields(Card) if field.name not in ("rank", "line"))


def _too_long(card: Card) -> tuple[str, int, int] | None:
    """What of a card's names and links is longer than any paper's (see MAX_NAME, MAX_LINK): a
    description, its length and the limit; None for nearly every card, cheaply."""
    organization = card.organization
    if organization is not None:
        length = max(len(organization.handle), len(organization.name))
        if length > MAX_NAME:
            return "an organization name", length, MAX_NAME
    for what, names in (("an author name", card.author_names), ("a keyword", card.keywords)):
        length = max(map(len, names)) if names else 0
        if length > MAX_NAME:
            return what, length, MAX_NAME
    for link in (card.url, card.github, card.project_page, card.thumbnail):
        if link is not None and len(link) > MAX_LINK:
            return "a link", len(link), MAX_LINK
    return None


def _fit_card(card: Card, source: str) -> Card:
    """The card with every text fit for output (see ``_fit``); a title of nothing else is an error,
    as is a title or abstract far longer than any paper's (see MAX_TITLE, MAX_ABSTRACT).  Each
    error names the card's title line, where it starts (check looks past that card alone)."""
    def problem(message: str, *, titled: bool = True) -> SnapshotError:
        # By its title too, but where that is what is wrong: the entries of an API answer written
        # on one line share their line.
        titled = titled and not invisible(card.title)  # a title no reader sees names no card
        return SnapshotError(f"{card_named(card.rank, card.title if titled else None)} {message}", source,
                             card.line or None, opens_card=True)

    for name, text, limit, usual in (("a title", card.title, MAX_TITLE, "a line or two"),
                                     ("an abstract", card.abstract, MAX_ABSTRACT, "at most a few thousand characters")):
        if len(text) > limit:
            raise problem(f"has {name} of {len(text):,} characters, where a paper's has {usual} (digest takes up "
                          f"to {limit:,})", titled=name != "a title")
    if card.published is not None and card.published.year is not None and card.published.year < FIRST_ARXIV_YEAR:
        raise problem(f"is dated {card.published.to_date().isoformat()}, before arXiv's first paper "
                      f"({FIRST_ARXIV_YEAR}): is the year mistyped?")
    too_long = _too_long(card)
    if too_long:
        what, length, limit = too_long
        raise problem(f"has {what} of {length:,} characters (digest takes up to {limit:,})")
    # Zero-width spaces, direction marks, control characters: a link or an abstract no reader could see.
    if invisible(card.title):
        raise problem("has a title of invisible characters only", titled=False)
    if card.abstract and invisible(card.abstract):  # an empty one is a paper's without an abstract
        raise problem("has an abstract of invisible characters only")
    changed = {}
    for name in _TEXT_FIELDS:
        value = getattr(card, name)
        if value is None:  # most fields of most cards
            continue
        fitted = _fit_value(value)
        if fitted is not value and fitted != value:
            changed[name] = fitted
    return replace(card, **changed) if changed else card
