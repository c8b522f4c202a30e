"""Small text helpers shared by pages, feeds and e-mail: escaping, excerpts, display dates."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from digest.models import MONTHS, Organization

# Characters that can start inline Markdown syntax: code, emphasis, links and images (which
# need "["), attributes ("{", as Hugo's headings and MkDocs's attr_list read them:
# "{onclick=…}").  Everything from a snapshot is untrusted: escaped, it can only ever be text.
# Parentheses stay readable: without "[" they are text.  A backslash before each, which
# CommonMark, GitHub, Hugo and Python-Markdown all read as an escape.  Others are written as
# entities, which every Markdown reads (Python-Markdown shows "\<" or "\~" as it is), where
# they would start something: "<" before anything but a space (a tag, an autolink, a comment),
# "&" that begins an entity reference ("&amp;" as written), every "~" (GitHub strikes out between
# two, even in two texts of one paragraph), the "%" of "{%" ("\{&#37;"), so that a generator
# that runs Liquid in Markdown (Jekyll) finds no tag ("{{" is "\{\{"), and what GitHub and Hugo
# make links of besides a text's own http(s) URLs: "@" (an e-mail address), the ":" of "://"
# (ftp://, HTTPS://) and the "." of a "www." that starts a word.
_INLINE_ESCAPES = {ord(character): "\\" + character for character in "\\`*_[]>#{"}
_ENTITIES = {ord("~"): "&#126;", ord("@"): "&#64;"}
_OPENS_HTML = re.compile(r"<(?!\s)")  # also at a run's end: a URL, written "<https://…>", may come next
_OPENS_ENTITY = re.compile(r"&(?=[A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9a-fA-F]+;)")
_WWW = re.compile(r"(?<![A-Za-z0-9])(www)\.", re.IGNORECASE)
# Constructs that only matter at the start of a line: lists, quotes, headings, rules.
_MARKDOWN_LINE_START = re.compile(r"^(\s*)([-+>:]|=(?==*\s*$)|\d+(?=[.)]))")  # "=" alone: a heading's underline


# What feeds (XML) and UTF-8 output cannot carry: control characters other than tab and line
# ends, the non-characters U+FFFE and U+FFFF, and lone surrogates (a JSON "\ud800" escape).
UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
#: Direction embeddings, overrides and isolates: one left open turns the text after it around, in
#: a title and beyond it on the page (the letters of "gpj.exe" shown as "exe.jpg"); marks (U+200E,
#: U+200F), which only set the direction of what is next to them, stay.
DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

#: Printable characters that show nothing: Hangul fillers, the blank Braille pattern, the Mongolian vowel separator.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def invisible(text: str) -> bool:
    """Whether the text has no character a reader would see (zero-width spaces, fillers, spaces)."""
    return not (text.isascii() and text.isprintable()) and not any(
        c.isprintable() and not c.isspace() and c not in _BLANK for c in text)


# An http(s) URL in running text; trailing punctuation is not part of it.
_URL = re.compile(r"https?://[^\s<>\"'`\\\[\]{}]+")  # braces are not URL characters (RFC 3986)
_URL_TRAILING = ".,;:!?'\""


_OPENING = {")": "(", "]": "[", "}": "{"}


def _trim_url(candidate: str) -> str:
    """The URL without trailing sentence punctuation or an unbalanced closing bracket.  The brackets
    are counted once, not again for each one taken off: a URL ending in thousands of ")" would
    take minutes."""
    end, counts = len(candidate), None
    while end:
        last = candidate[end - 1]
        if last in _URL_TRAILING:
            end -= 1
            continue
        if last not in _OPENING:
            break
        if counts is None:
            counts = {bracket: candidate.count(bracket) for bracket in ")]}([{"}
        if counts[last] <= counts[_OPENING[last]]:
            break
        counts[last] -= 1
        end -= 1
    return candidate[:end]


def url_runs(text: str) -> list[tuple[str, bool]]:
    """The text in runs, each with whether it is one of the text's http(s) URLs (without the
    sentence punctuation after it): what ``escape_markdown`` makes autolinks of.  One that holds
    an entity reference is none: readers of Markdown decode it in an autolink, so that
    "https://good.org&#64;evil.org" would lead to evil.org."""
    runs, position = [], 0
    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        if url.endswith("://") or ("&" in url and _OPENS_ENTITY.search(url)):
            continue
        runs.append((text[position:match.start()], False))
        runs.append((url, True))
        position = match.start() + len(url)
    runs.append((text[position:], False))
    return runs


@lru_cache(maxsize=65536)  # an abstract is escaped for its day, its topics and its e-mail
def escape_markdown(text: str) -> str:
    """Text that renders as exactly itself in CommonMark: no HTML, emphasis or blocks, and no links
    except its own http(s) URLs, which become autolinks (``<https://…>``), or links whose text is
    the URL as written where markdown-it would show an autolink otherwise (see ``_link``)."""
    text = " ".join(text.split())
    pieces = [_link(run) if url else _escape_inline(run) for run, url in url_runs(text)]
    for index in range(1, len(pieces)):
        if pieces[index].startswith("[") and pieces[index - 1].endswith("!"):  # "![…](…)" would be an image
            pieces[index - 1] = pieces[index - 1][:-1] + "\\!"
    return _escape_line_start("".join(pieces))


def _link(url: str) -> str:
    """A URL as a link in Markdown.  markdown-it shows an autolink's text decoded: "%E2%80%AE" as
    a direction override (U+202E), which turns the rest around ("fdp.exe" reads "exe.pdf"), and an
    "xn--" host in the letters it stands for (a Cyrillic look-alike of a Latin name); such a URL
    is a link whose text is the URL as written."""
    if "%" in url or "xn--" in url.lower():
        return f"[{_escape_inline(url)}](<{url}>)"
    return f"<{url}>"


def _escape_inline(text: str) -> str:
    """The text with "&" as an entity where it would start one, a backslash before each of those
    characters (by a table: a regex substitution took a microsecond each, tens of milliseconds for
    an abstract of them), and the others as entities where they would start something."""
    if "&" in text:  # first: the "&" of the entities made next is no text's
        text = _OPENS_ENTITY.sub("&amp;", text)
    text = text.translate(_INLINE_ESCAPES)
    if "~" in text or "@" in text:
        text = text.translate(_ENTITIES)
    if "\\{%" in text:
        text = text.replace("\\{%", "\\{&#37;")
    if "://" in text:
        text = text.replace("://", "&#58;//")
    if "." in text and _WWW.search(text):
        text = _WWW.sub(r"\1&#46;", text)
    return _OPENS_HTML.sub("&lt;", text) if "<" in text else text


def _escape_line_start(text: str) -> str:
    match = _MARKDOWN_LINE_START.match(text)
    if match:
        start = match.end(1)
        if match.group(2).isdigit():
            end = match.end(2)  # escape the "." or ")" after the number
            text = text[:end] + "\\" + text[end:]
        elif match.group(2) in "=:":  # no escape in Python-Markdown: an entity
            text = f"{text[:start]}&#{ord(match.group(2))};{text[start + 1:]}"
        else:
            text = text[:start] + "\\" + text[start:]
    return text


# A sentence ends at . ! or ? before a capital, digit or quote, but not after
# an abbreviation common in abstracts.
_SENTENCE_END = re.compile(
    r"(?=[.!?])"  # first, so that the look-behinds are tried only at punctuation (ten times faster)
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bal)(?<!\bvs)(?<!\bcf)(?<!\bFig)(?<!\bEq)(?<!\bet)(?<!\bSec)(?<!\b[A-Z])"
    r"[.!?](?=\s+[A-Z0-9(\"'])")


@lru_cache(maxsize=65536)
def excerpt(text: str, limit: int) -> tuple[str, bool]:
    """The text cut to at most ``limit`` characters, at a sentence end if one is near, else at a word.

    Returns the excerpt and whether anything was cut.  Cached: one abstract
    is cut the same way on every page, feed and e-mail that shows it.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text, False
    window = text[: limit + 1]
    ends = [end for end in (m.end() for m in _SENTENCE_END.finditer(window)) if _outside_parentheses(window, end)]
    if ends and ends[-1] >= limit // 2:
        return window[: ends[-1]], True
    cut = window.rfind(" ")
    if cut < limit // 2:
        cut = limit
    return window[:cut].rstrip(" ,;:-—") + "…", True


def _outside_parentheses(text: str, end: int) -> bool:
    """Whether position ``end`` is outside any open parenthesis (a sentence end inside one is not one)."""
    return text.count("(", 0, end) <= text.count(")", 0, end)


def long_date(date: dt.date | None) -> str:
    """``19 January 2026``; nothing for no date (a card without one, in a template)."""
    if date is None:
        return ""
    return f"{date.day} {date.strftime('%B')} {date.year}"


def short_date(date: dt.date | None) -> str:
    """``19 Jan 2026``; nothing for no date."""
    if date is None:
        return ""
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


def weekday_date(date: dt.date | None) -> str:
    """``Monday, 19 January 2026``; nothing for no date."""
    if date is None:
        return ""
    return f"{date.strftime('%A')}, {long_date(date)}"


def who(organization: Organization | None, authors: int | None) -> str:
    """The "who" of a card: the organization's name or the author count."""
    if organization is not None:
        return organization.name
    if authors is not None:
        return plural(authors, "author")
    return ""


def plural(count: int | None, word: str, many: str | None = None) -> str:
    """``1 paper``, ``2 papers``; nothing for no count (a card without one, in a template)."""
    if count is None:
        return ""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


TEXT_WIDTH = 72  #: plain-text e-mail line length


@lru_cache(maxsize=65536)  # a paper's excerpt is wrapped alike in every e-mail that lists it
def wrap_text(text: str, indent: str = "", hanging: str | None = None, width: int = TEXT_WIDTH) -> str:
    """Text wrapped at ``width`` columns; lines after the first are indented by ``hanging``
    (default: like the first).  URLs and long words are never broken.

    The same lines as ``textwrap.fill`` with ``break_long_words`` and ``break_on_hyphens`` off
    (the tests check this), several times faster: e-mails wrap every abstract excerpt.  Text
    with wide characters (Chinese, Japanese, Korean) is wrapped by the columns it takes, two
    for a wide character, and may break between Chinese and Japanese characters, as those
    scripts break lines (see ``_pieces``).
    No text (None, in a template) is nothing."""
    words = text.split() if text is not None else ()
    if not words:
        return ""
    hanging = indent if hanging is None else hanging
    # Each distinct character once: an abstract has a few dozen, among a thousand and more.
    if not text.isascii() and any(_is_wide(character) for character in set(text)):
        return _wrap_wide(words, indent, hanging, width)
    lines: list[str] = []
    line, room = [words[0]], width - len(indent) - len(words[0])
    for word in words[1:]:
        if len(word) < room:  # the word and the space before it fit
            line.append(word)
            room -= len(word) + 1
        else:
            lines.append((hanging if lines else indent) + " ".join(line))
            line, room = [word], width - len(hanging) - len(word)
    lines.append((hanging if lines else indent) + " ".join(line))
    return "\n".join(lines)


def _is_wide(character: str) -> bool:
    return unicodedata.east_asian_width(character) in ("W", "F")


#: Punctuation a line may not start with, and brackets and quotes it may not end with (CJK line
#: breaking; ASCII and curly forms too, as Chinese text uses them).
_NO_BREAK_BEFORE = frozenset("、。，．：；！？）」』】〉》〕］｝ー…”’),.;:!?]}%％・〜ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ")
_NO_BREAK_AFTER = frozenset("（「『【〈《〔［｛“‘([{")


def _breakable(character: str) -> bool:
    """A wide character a line may break before or after: Chinese and Japanese, not Korean,
    whose words are parted by spaces."""
    return _is_wide(character) and not ("\u1100" <= character <= "\u11ff" or "\u3130" <= character <= "\u318f"
                                        or "\ua960" <= character <= "\ua97f" or "\uac00" <= character <= "\ud7ff")


def _joins_previous(character: str) -> bool:
    """Part of the character before it as a reader sees it: a combining mark, a joiner, a
    variation selector, a skin-tone modifier."""
    return (unicodedata.combining(character) != 0 or unicodedata.category(character) in ("Mn", "Me", "Cf")
            or "\ufe00" <= character <= "\ufe0f" or "\U0001f3fb" <= character <= "\U0001f3ff"
            or "\U000e0100" <= character <= "\U000e01ef")


#: The part of a URL a line must not break: from its scheme to the first space or non-ASCII character.
_URL_PART = re.compile(r"https?://[!-~]+")


def _pieces(word: str) -> list[str]:
    """A word cut where a line may break inside it: before and after each Chinese or Japanese
    character, but not inside what a reader sees as one character, not before closing
    punctuation, not after an opening bracket or quote, and not in a URL's ASCII part (a
    URL in Chinese text has no space around it)."""
    kept = [range(m.start(), m.end()) for m in _URL_PART.finditer(word)] if "://" in word else []
    pieces = [word[0]]
    for at in range(1, len(word)):
        character, last = word[at], word[at - 1]
        if (character not in _NO_BREAK_BEFORE and last not in _NO_BREAK_AFTER and last != "\u200d"
                and not _joins_previous(character) and (_breakable(character) or _breakable(last))
                and not any(at in url and at - 1 in url for url in kept)):
            pieces.append(character)
        else:
            pieces[-1] += character
    return pieces


def _columns(text: str) -> int:
    return sum(2 if _is_wide(character) else 1 for character in text)


def _wrap_wide(words: list[str], indent: str, hanging: str, width: int) -> str:
    """``wrap_text`` by columns, breaking inside words where ``_pieces`` allows."""
    lines: list[str] = []
    line, room = "", width - len(indent)
    for word in words:
        for number, piece in enumerate(_pieces(word)):
            gap = 1 if number == 0 and line else 0  # a space between words, none inside one
            columns = _columns(piece)
            if line and gap + columns > room:
                lines.append((hanging if lines else indent) + line)
                line, room = piece, width - len(hanging) - columns
            else:
                line += " " * gap + piece
                room -= gap + columns
    lines.append((hanging if lines else indent) + line)
    return "\n".join(lines)
