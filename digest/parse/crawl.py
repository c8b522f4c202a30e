"""Markdown-like dumps of the Daily Papers page made by crawlers and reader tools.

Jina reader, Firecrawl, browser "copy as Markdown" extensions and the like turn
the page into Markdown.  The cards are those of the text dump
(``digest.parse.text``), with links, images and navigation around them::

    Jun 17                                                  <- the list day (absent on trending pages)

    [![thumbnail](https://…/2506.13585.png)](/papers/2506.13585)   <- noise, skipped
    42                                                      <- upvotes ("-" is zero; or **42**, [42](…)), optional
    ### [MiniMax-M1: Scaling …](/papers/2506.13585)         <- title heading: the card's anchor
    We introduce MiniMax-M1, …                              <- abstract: one paragraph or more
    [MiniMax](/MiniMaxAI)  or  MiniMaxAI MiniMax  or  · 127 authors   <- also as a list item: "*   · 127 authors"
    ·
    Jun 16 [ 6](https://huggingface.co/papers/2506.13585#community)

Title links may also be reference links (``### [Title][12]`` with a
``[12]: https://huggingface.co/papers/2506.13585`` definition anywhere).  A
card runs from its title heading to the upvote line (or heading) of the next
card; what comes before the first card is the page header, where the list day
is read.  An abstract's paragraphs run to the meta line, joined by a space (on
a card without one, to the next card; on the last, whose page footer follows,
only the first is taken).  Titles and abstracts are kept as plain text: link
syntax is reduced to the link's text, Markdown backslash escapes are undone
(``\\_`` is ``_``), images and raw HTML tags are dropped, and no link target
other than the paper's own page is ever kept.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from digest.errors import SnapshotError, shortened
from digest.models import Card, Organization, ParsedSnapshot, PartialDate
from digest.parse.api import ARXIV_ID_RE, HUB, unversioned
from digest.parse.text import (
    AUTHORS_RE,
    COUNT_PATTERN,
    DATE_PATTERN,
    HANDLE_RE,
    LIST_DAY_RE,
    SUBMITTED_BY_RE,
    UPVOTE_COUNT_RE,
    Block,
    clean_lines,
    parse_date_text,
    shown_count,
    split_blocks,
)

NO_CARDS = "not a Daily Papers snapshot: no list of papers found"

# --------------------------------------------------------------------------
# Recognising a dump

# A JSON object or array; "[](…)" is not one, it is a Markdown dump opening with an empty (icon) link.
_JSON_START = re.compile(r"\s*(?:\{\s*[\"}]|\[\s*[\[{\"]|\[\s*\]\s*(?:$|[,\]]))")
_HTML_START = re.compile(r"\s*<(?:!doctype|html|head|body|\?xml)", re.IGNORECASE)
_HUB_PREFIX = r"(?:https?://(?:www\.)?(?:huggingface\.co|hf\.co))?"
_MARKERS = re.compile(
    r"^[ \t]{0,3}#{1,6}[ \t]*(?:\*\*|__)?\["  # ### [Title…
    rf"|\]\(<?{_HUB_PREFIX}/papers/"  # …](/papers/…
    rf"|^[ \t]{{0,3}}\[[^\]\n]{{1,999}}\]:[ \t]*<?{_HUB_PREFIX}/papers/",  # [12]: …/papers/…
    re.MULTILINE | re.IGNORECASE,
)


def looks_like_crawler_dump(text: str) -> bool:
    """True for Markdown with Daily Papers card markers; False for JSON, HTML and plain text dumps."""
    head = text.lstrip("\ufeff")
    if _JSON_START.match(head) or _HTML_START.match(head) or "[" not in text:  # every marker has a "["
        return False
    # and a "#", "](" or "]:": without them the case-blind search, slow on a long text, cannot match
    return ("#" in text or "](" in text or "]:" in text) and _MARKERS.search(text) is not None


# --------------------------------------------------------------------------
# Inline Markdown: links, images, autolinks

_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
#: A bracket, or an escaped character (which is none): scanned for in C, not a character at a time
#: in Python (a paragraph of 100,000 characters took 0.2 s).
_BRACKET_RE = re.compile(r"\\[" + re.escape("".join(sorted(_ESCAPABLE))) + r"]|[\[\]]")
#: Where plain text ends in a line read by ``inline``: a character that may start an escape, an
#: autolink, an image or a link.
_INLINE_MARK_RE = re.compile(r"[\\<!\[]")
_UNESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")
_AUTOLINK_RE = re.compile(r"<((?:https?|mailto):[^\s<>]{1,2048})>", re.IGNORECASE)
_MAX_URL = 4096
_MAX_DEPTH = 4  # nesting of links/images inside link text that is still interpreted
_LINK_SYNTAX_RE = re.compile(r"\]\([^()]*\)|\]\[[^\]]*\]|!?\[|\]")


@dataclass(frozen=True, slots=True)
class Link:
    """A Markdown link or image as written: ``[text](url)``, ``[text][label]`` or ``![alt](url)``."""

    text: str  #: the raw text between the brackets
    url: str | None  #: the destination; None for a reference that is not defined
    image: bool
    raw: str  #: the whole construct as written, for undefined references shown literally


Segment = str | Link


#: CommonMark's longest link label.  Longer bracketed text is no reference, and is not looked up:
#: a line of thousands of nested brackets would otherwise take each one's text again.
MAX_LABEL = 999


def _label_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def _matching_brackets(text: str) -> dict[int, int]:
    """For each ``[``, the index of its matching ``]`` (escaped brackets do not count)."""
    matches: dict[int, int] = {}
    stack: list[int] = []
    for found in _BRACKET_RE.finditer(text):
        c = found[0]
        if c == "[":
            stack.append(found.start())
        elif c == "]" and stack:
            matches[stack.pop()] = found.start()
    return matches


# ``(url "title")`` after the link text; every part is bounded so that a line
# full of unclosed ``](`` cannot make the scan quadratic.
_DESTINATION_RE = re.compile(
    r"\( *(?:<(?P<angled>[^<>\n]{0,2048})>"
    r"|(?P<url>(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.){0,2048}\)){0,2048}))"
    r"(?: +(?:\"[^\"]{0,2048}\"|'[^']{0,2048}'|\([^()]{0,2048}\)))? *\)"
)


def _inline_destination(text: str, pos: int) -> tuple[str, int] | None:
    """Parse ``(url "title")`` starting at ``pos`` (the ``(``); (url, index after ``)``) or None."""
    match = _DESTINATION_RE.match(text, pos)
    if not match:
        return None
    return (match["angled"] if match["angled"] is not None else match["url"]), match.end()


def inline(text: str, refs: dict[str, str]) -> list[Segment]:
    """Split one line (or paragraph) into plain text and links, as CommonMark would read them.

    Escaped characters stay escaped in the text segments.  ``[text]`` alone is
    a link only when a non-numeric reference ``[text]: url`` is defined, so
    citations such as ``[1]`` in an abstract stay literal.
    """
    closing = _matching_brackets(text)
    segments: list[Segment] = []
    plain: list[str] = []
    i, n = 0, len(text)

    def flush() -> None:
        if plain:
            segments.append("".join(plain))
            plain.clear()

    while i < n:
        c = text[i]
        if c not in "\\<![":  # plain text up to the next character that may start something else
            mark = _INLINE_MARK_RE.search(text, i)
            end = mark.start() if mark else n
            plain.append(text[i:end])
            i = end
            continue
        if c == "\\" and i + 1 < n and text[i + 1] in _ESCAPABLE:
            plain.append(text[i:i + 2])
            i += 2
            continue
        if c == "<":
            match = _AUTOLINK_RE.match(text, i)
            if match:
                flush()
                segments.append(Link(match[1], match[1], False, match[0]))
                i = match.end()
                continue
        image = c == "!" and i + 1 < n and text[i + 1] == "["
        start = i + 1 if image else i
        if text[start:start + 1] == "[" and start in closing:
            end = closing[start]
            url: str | None = None
            after = -1
            # The bracketed text is cut out only where it is needed, and labels only looked up
            # when short enough to be one: with thousands of nested brackets on a line, each
            # would otherwise copy or fold most of the line.
            if end + 1 < n and text[end + 1] == "(":
                parsed = _inline_destination(text, end + 1)
                if parsed is not None:
                    url, after = parsed
            elif end + 1 < n and text[end + 1] == "[" and (end + 1) in closing:
                label_end = closing[end + 1]
                # "[text][]": the text is the label
                label = (start + 1, end) if label_end == end + 2 else (end + 2, label_end)
                if label[1] - label[0] <= MAX_LABEL:
                    url = refs.get(_label_key(text[label[0]:label[1]]))
                after = label_end + 1
            elif end - start - 1 <= MAX_LABEL:
                inner = text[start + 1:end]
                if not inner.strip().isdigit() and _label_key(inner) in refs:
                    url, after = refs[_label_key(inner)], end + 1
            if after >= 0:
                flush()
                segments.append(Link(text[start + 1:end], url, image, text[i:after]))
                i = after
                continue
        plain.append(c)
        i += 1
    flush()
    return segments


def link_text(link: Link, refs: dict[str, str], depth: int = 0) -> str:
    """The visible text of a link: images inside it dropped, nested links reduced to their text."""
    if depth >= _MAX_DEPTH:  # absurdly nested: drop what is left of the link syntax, keep the words
        return _LINK_SYNTAX_RE.sub("", link.text)
    return render(inline(link.text, refs), refs, depth=depth + 1)


def render(segments: list[Segment], refs: dict[str, str], *, unescape: bool = False, depth: int = 0) -> str:
    """Segments as plain text: images dropped, links replaced by their text.

    A reference link whose definition is missing is kept as written (it is
    then just text in brackets).  ``unescape`` turns ``\\_`` into ``_`` etc.
    """
    out: list[str] = []
    for segment in segments:
        if isinstance(segment, str):
            out.append(_UNESCAPE_RE.sub(r"\1", segment) if unescape else segment)
        elif segment.image:
            continue
        elif segment.url is None:
            out.append(_UNESCAPE_RE.sub(r"\1", segment.raw) if unescape else segment.raw)
        else:
            text = link_text(segment, refs, depth)
            out.append(_UNESCAPE_RE.sub(r"\1", text) if unescape and depth == 0 else text)
    return "".join(out)


# Raw HTML: tags of real HTML elements (and comments) are dropped; text such as
# ``<think>`` or ``<16GB`` that is not HTML markup stays.
_HTML_ELEMENTS = frozenset(
    "a abbr address area article aside audio b base bdi bdo big blink blockquote body br button "
    "canvas caption center cite code col colgroup data datalist dd del details dfn dialog div dl dt "
    "em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head "
    "header hr html i iframe img input ins kbd label legend li link main map mark marquee math menu "
    "meta meter nav noscript object ol optgroup option output p param picture pre progress q rp rt "
    "ruby s samp script section select slot small source span strike strong style sub summary sup "
    "svg table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr "
    "xmp".split()
)
_RAW_TEXT_OPEN_RE = re.compile(r"<(script|style|iframe|textarea|title|noscript|template|xmp|svg|math)\b[^<>]*>",
                               re.IGNORECASE)
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|$)|<![A-Za-z\[][^<>]*>|<\?[^<>]*>", re.DOTALL)
_TAG_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>")


def _drop_raw_text(text: str) -> str:
    """Text without ``<script>…</script>`` and the like (content included); linear time."""
    lower = text.lower()
    out: list[str] = []
    position = 0
    last_close: dict[str, int] = {}
    while True:
        match = _RAW_TEXT_OPEN_RE.search(text, position)
        if not match:
            break
        name = match[1].lower()
        if name not in last_close:
            last_close[name] = lower.rfind("</" + name)
        out.append(text[position:match.start()])
        close = lower.find("</" + name, match.end()) if last_close[name] >= match.end() else -1
        if close < 0:
            position = match.end()  # never closed: drop the tag alone
        else:
            end = text.find(">", close)
            position = end + 1 if end >= 0 else len(text)
    out.append(text[position:])
    return "".join(out)


def strip_html(text: str) -> str:
    """Text without HTML comments, tags of HTML elements, and script/style content."""
    if "<" not in text:
        return text

    def tag(match: re.Match[str]) -> str:
        return "" if match[1].lower() in _HTML_ELEMENTS else match[0]

    for _ in range(8):  # removing a tag can join the halves of another one: repeat
        stripped = _TAG_RE.sub(tag, _COMMENT_RE.sub("", _drop_raw_text(text)))
        if stripped == text:
            return text
        text = stripped
    # Still changing after 8 rounds: deliberately nested tags.  Leave a space
    # where each tag was, which cannot join into a new tag.
    return _TAG_RE.sub(lambda m: " " if m[1].lower() in _HTML_ELEMENTS else m[0], text)


def plain_text(text: str, refs: dict[str, str], *, unescape: bool) -> str:
    """A title or abstract as plain text on one line."""
    return " ".join(strip_html(render(inline(text, refs), refs, unescape=unescape)).split())


# --------------------------------------------------------------------------
# Lines of the dump

_REF_DEF_RE = re.compile(
    r"^\[(?P<label>[^\]]{1,999})\]:\s*(?:<(?P<angled>[^<>]*)>|(?P<url>\S+))"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?$"
)
_HEADING_RE = re.compile(r"^#{1,6}(?:\s+|(?=[\[*_]))(?P<body>.*?)(?:\s+#+)?$")
_PAPER_URL_RE = re.compile(
    r"^(?:https?://(?:www\.)?(?:huggingface\.co|hf\.co))?/papers/"
    r"(?P<id>[a-z][a-z.\-]*/\d{7}(?:v\d+)?|[^/?#\s]+)/?(?:\?[^#]*)?(?:#(?P<fragment>.*))?$",
    re.IGNORECASE,
)
_HUB_PAGE_RE = re.compile(r"^(?:https?://(?:www\.)?(?:huggingface\.co|hf\.co))?/(?P<handle>[^/?#\s]+)/?$",
                          re.IGNORECASE)
_NOT_ORGS = frozenset("papers models datasets spaces docs blog posts pricing login join enterprise "
                      "learn collections settings organizations tasks api chat search".split())
_NOISE_RE = re.compile(r"^[\s\-=*_#>+|•~]*$")
_DATE_LINE_RE = re.compile(rf"^{DATE_PATTERN}(?:\s+(?P<comments>{COUNT_PATTERN}))?$")
_INLINE_META_RE = re.compile(rf"^(?P<who>.*?)\s*·\s*{DATE_PATTERN}(?:\s+(?P<comments>{COUNT_PATTERN}))?$")
#: A comments link's text: the count as the page shows it, also in thousands ("1.2k", as upvotes are).
_COMMENT_TEXT_RE = re.compile(rf"^({COUNT_PATTERN}|\d{{1,3}}(?:\.\d)?k)(?:\s+comments?)?$", re.IGNORECASE)
_URL_SOURCE_RE = re.compile(
    r"^(?:URL Source|Source|URL)\s*:\s*<?https?://(?:www\.)?huggingface\.co/papers/date/"
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?![\d])",
    re.IGNORECASE,
)
_ORG = "\ue000"  # stands for an organization link in the meta form of a line (removed from the input)
# A Markdown bullet before a meta line: reader tools write the card's who as a list item ("*   [NVIDIA](…)").
_LIST_MARKER_RE = re.compile(r"^[*+-] ")


def reference_definitions(lines: list[str]) -> tuple[dict[str, str], set[int]]:
    """``[label]: url`` definitions (the first of a label wins) and the indexes of their lines."""
    refs: dict[str, str] = {}
    used: set[int] = set()
    for index, line in enumerate(lines):
        if line.startswith("[") and "]:" in line:
            match = _REF_DEF_RE.match(line)
            if match:
                used.add(index)
                url = match["angled"] if match["angled"] is not None else match["url"]
                refs.setdefault(_label_key(match["label"]), url)
    return refs, used


_FENCE_RE = re.compile(r"^(`{3,}|~{3,})")


def unseen_lines(lines: list[str]) -> set[int]:
    """The indexes of the (cleaned) lines that Markdown shows no reader as text: those of an HTML
    comment (``<!--`` to ``-->``) or a fenced code block, from the line that opens it to the one
    that closes it.  A card there is none of the page's.  One never closed is taken as written."""
    unseen: set[int] = set()
    opened: int | None = None  # the line of the comment or fence open now
    closing = ""
    for index, line in enumerate(lines):
        if opened is None:
            fence = _FENCE_RE.match(line)
            if fence:
                opened, closing = index, fence[1]
            elif line.startswith("<!--") and "-->" not in line[4:]:
                opened, closing = index, "-->"
            elif line.startswith("<!--"):
                unseen.add(index)
        elif (closing == "-->" and "-->" in line) or (
                closing != "-->" and line.startswith(closing[0] * len(closing)) and not line.strip(closing[0])):
            unseen.update(range(opened, index + 1))
            opened = None
    return unseen


def paper_link(url: str | None) -> tuple[str, str | None] | None:
    """(id segment, fragment) of a link to a paper's page on the hub, or None."""
    if not url or len(url) > _MAX_URL:
        return None
    match = _PAPER_URL_RE.match(url.strip())
    return (match["id"], match["fragment"]) if match else None


def org_handle(url: str | None) -> str | None:
    """The handle of a link to an organization (or user) page on the hub: ``/MiniMaxAI``."""
    if not url or len(url) > _MAX_URL:
        return None
    match = _HUB_PAGE_RE.match(url.strip())
    if not match or not HANDLE_RE.match(match["handle"]) or match["handle"].lower() in _NOT_ORGS:
        return None
    return match["handle"]


def comment_count(link: Link, refs: dict[str, str]) -> int | None:
    """The number of a ``[ 6](…/papers/<id>#community)`` link, or None for any other link."""
    target = paper_link(link.url)
    if link.image or target is None or target[1] != "community":
        return None
    match = _COMMENT_TEXT_RE.match(" ".join(link_text(link, refs).split()))
    return shown_count(match[1]) if match else None


@dataclass(frozen=True, slots=True)
class Title:
    text: str
    arxiv_id: str


def _without_emphasis(text: str) -> str:
    """The text without one Markdown emphasis around all of it (``**``, ``__``, ``*``, ``_``)."""
    for mark in ("**", "__", "*", "_"):
        if len(text) > 2 * len(mark) and text.startswith(mark) and text.endswith(mark):
            return text[len(mark):-len(mark)].strip()
    return text


def title_heading(line: str, refs: dict[str, str], source: str, number: int,
                  elsewhere: list[tuple[int, str, str]] | None = None) -> Title | None:
    """The title of a card if the line is a heading holding only a link to a paper's page.  A
    heading holding only a link to a page that is not the hub's (a card's title linking
    elsewhere, or a link of the site around the list) is added to ``elsewhere``: (line, text,
    link)."""
    match = _HEADING_RE.match(line)
    if not match:
        return None
    body = _without_emphasis(match["body"].strip())
    segments = [s for s in inline(body, refs) if not (isinstance(s, str) and not s.strip())]
    if len(segments) != 1 or not isinstance(segments[0], Link) or segments[0].image:
        return None
    link = segments[0]
    # Emphasis around the link, or inside it around its text: "**[Title](…)**", "[**Title**](…)".
    # (Escaped marks, "\\*\\*", are the title's own.)
    text = _without_emphasis(link_text(link, refs).strip())
    title = " ".join(strip_html(_UNESCAPE_RE.sub(r"\1", text)).split())
    if link.url is None:  # [Title][12] without a definition of [12]
        if title:
            raise SnapshotError(f"the link of title '{shortened(title)}' refers to a reference that is not "
                                "defined (is the file truncated?)", source, number)
        return None
    target = paper_link(link.url)
    if target is not None and not title and ARXIV_ID_RE.match(target[0]):
        # A card's heading whose text is lost (or an image): left out, the card would give its
        # meta line's date to the page's header, as its list day.
        raise SnapshotError(f"the heading of paper {shortened(target[0], 30)} has no title text", source, number)
    if target is None or not title:
        if target is None and title and elsewhere is not None:
            elsewhere.append((number, title, link.url))
        return None
    paper_id, _ = target
    if not ARXIV_ID_RE.match(paper_id):
        if paper_id[:1].isdigit():
            raise SnapshotError(f"title '{shortened(title)}' links to /papers/{shortened(paper_id, 30)}, "
                                "which is not an arXiv id", source, number)
        return None  # /papers/trending and the like: navigation
    return Title(title, unversioned(paper_id))


@dataclass(frozen=True, slots=True)
class MetaLine:
    """A line after the abstract, with links reduced: organization links to ``_ORG``, comment links to numbers."""

    number: int
    text: str  #: the meta form, without a list marker before it
    orgs: tuple[Organization, ...]
    comment_link: int | None  #: the count of a comment link on the line
    only_link: bool  #: the line is one organization or comment link and nothing else


def meta_line(number: int, line: str, refs: dict[str, str]) -> MetaLine:
    """The meta form of line ``number`` (1-based) of a card."""
    parts: list[str] = []
    orgs: list[Organization] = []
    comments: int | None = None
    links = org_part = 0  # org_part: the index in parts of the last organization's _ORG
    for segment in inline(line.replace(_ORG, ""), refs):
        if isinstance(segment, str):
            parts.append(segment)
            continue
        if segment.image:
            continue
        links += 1
        count = comment_count(segment, refs)
        handle = org_handle(segment.url)
        if count is not None:
            comments = count if comments is None else comments
            parts.append(f" {count} ")
        elif handle is not None:
            name = " ".join(strip_html(_UNESCAPE_RE.sub(r"\1", link_text(segment, refs))).split())
            if orgs and orgs[-1].handle == handle and not "".join(parts[org_part + 1:]).strip():
                # The organization's avatar and its name, each a link to it: one organization.
                links -= 1
                if name and orgs[-1].name == handle:
                    orgs[-1] = Organization(handle=handle, name=name)
                continue
            orgs.append(Organization(handle=handle, name=name or handle))
            org_part = len(parts)
            parts.append(f" {_ORG} ")
        else:
            parts.append(" ")  # any other link is not part of a card's meta
    text = _LIST_MARKER_RE.sub("", " ".join("".join(parts).split()), count=1)
    only_link = links == 1 and (text == _ORG or (comments is not None and text == str(comments)))
    return MetaLine(number, text, tuple(orgs), comments, only_link)


def is_meta_line(meta: MetaLine) -> bool:
    """Whether a line can only be part of a card's meta (who · date comments), not of an abstract."""
    text = meta.text
    return bool(
        meta.only_link
        or text.startswith("·")
        or AUTHORS_RE.match(text)
        or _DATE_LINE_RE.match(text)
        or _INLINE_META_RE.match(text)
    )


def looks_like_who(meta: MetaLine) -> bool:
    """A short line that names an organization (link or ``handle Name``) or an author count."""
    text = meta.text
    if text == _ORG or AUTHORS_RE.match(text):
        return True
    handle, _, _ = text.partition(" ")
    return len(text) <= 100 and _ORG not in text and bool(HANDLE_RE.match(handle))


@dataclass(frozen=True, slots=True)
class Meta:
    organization: Organization | None
    authors: int | None
    published: PartialDate | None
    comments: int | None


def who_of(meta: MetaLine, text: str, source: str) -> tuple[Organization | None, int | None]:
    """Organization or author count from ``text``, the part of ``meta``'s line before ``·``."""
    text = text.strip()
    if not text:
        return None, None
    authors = AUTHORS_RE.match(text)
    if authors:
        return None, shown_count(authors["count"])  # AUTHORS_RE takes at most 9 digits
    if _ORG in text:
        index = meta.text.find(text)
        if text == _ORG and index >= 0:
            return meta.orgs[meta.text[:index].count(_ORG)], None
        return None, None  # an organization link among other words: not the page's meta
    handle, _, name = text.partition(" ")
    if not HANDLE_RE.match(handle):
        raise SnapshotError(f"'{shortened(text)}' is neither an author count nor an organization",
                            source, meta.number)
    return Organization(handle=handle, name=name.strip() or handle), None


def parse_tail(tail: list[MetaLine], source: str) -> Meta:
    """The meta of a card from the lines after its abstract: who, ``·``, date, comment count."""
    for index, line in enumerate(tail):
        for position in [m.start() for m in re.finditer("·", line.text)]:
            if len(line.text) - position > 100:
                continue  # what follows is too long to be a date: not cut out (a line of dots is not quadratic)
            after = line.text[position + 1:].strip()
            date_line = line
            if not after and index + 1 < len(tail):
                date_line, after = tail[index + 1], tail[index + 1].text
            match = _DATE_LINE_RE.match(after)
            if not match:
                continue
            published = parse_date_text(match, source, date_line.number)
            if published is None:
                continue
            who_line, before = line, line.text[:position].strip()
            if not before and index > 0 and looks_like_who(tail[index - 1]):
                who_line, before = tail[index - 1], tail[index - 1].text
            organization, authors = who_of(who_line, before, source)
            comments = int(match["comments"].replace(",", "")) if match["comments"] else None
            if comments is None:
                start = tail.index(date_line)
                comments = next((t.comment_link for t in tail[start:] if t.comment_link is not None), None)
            return Meta(organization, authors, published, comments)
    return Meta(None, None, None, None)


# --------------------------------------------------------------------------
# The parser


class _Lines:
    """The cleaned lines of a dump, with reference definitions blanked, and cached link parsing."""

    def __init__(self, text: str):
        lines = clean_lines(text)
        unseen = unseen_lines(lines)
        self.refs, definitions = reference_definitions(["" if i in unseen else line for i, line in enumerate(lines)])
        self.lines = ["" if i in definitions or i in unseen else line for i, line in enumerate(lines)]
        self._visible: dict[int, str] = {}

    def visible(self, index: int) -> str:
        """The text of a line as a reader sees it: images dropped, links reduced to their text."""
        if index not in self._visible:
            self._visible[index] = render(inline(self.lines[index], self.refs), self.refs).strip()
        return self._visible[index]

    def is_noise(self, index: int) -> bool:
        """Blank, or only images, empty links, bullets and rules (thumbnails, avatars, separators)."""
        return _NOISE_RE.match(self.visible(index)) is not None

    def is_submitter(self, index: int) -> bool:
        """A card's "Submitted by <user>", or its user on the line after a bare "Submitted by":
        neither the abstract nor the organization."""
        if SUBMITTED_BY_RE.match(self.visible(index)):
            return True
        if not HANDLE_RE.match(self.visible(index)):
            return False
        before = index - 1
        while before >= 0 and self.is_noise(before):
            before -= 1
        found = SUBMITTED_BY_RE.match(self.visible(before)) if before >= 0 else None
        return found is not None and found["user"] is None


def shown_upvotes(doc: _Lines, index: int) -> str | None:
    """The upvote count line ``index`` shows, alone, in bold or as a link (the vote button's, to log
    in); None for any other line, and for a link to a paper's page (a comment count, "[ 6](…#community)")."""
    text = _without_emphasis(doc.visible(index))
    if not UPVOTE_COUNT_RE.match(text):
        return None
    links = [segment for segment in inline(doc.lines[index], doc.refs) if isinstance(segment, Link)]
    return None if any(paper_link(link.url) for link in links) else text


def upvote_line(doc: _Lines, title: int, floor: int) -> tuple[int, int] | None:
    """(index, upvotes) of the count shown before a title, skipping thumbnails and blank lines."""
    for index in range(title - 1, floor - 1, -1):
        shown = shown_upvotes(doc, index)
        if shown is not None:
            return index, shown_count(shown) or 0  # "-": none
        if not doc.is_noise(index) and not doc.is_submitter(index):
            return None
    return None


def parse_list_day(doc: _Lines, end: int, source: str) -> tuple[PartialDate | None, int]:
    """The list day printed in the page header (the last lone date before the first card)."""
    list_day, line = None, 0
    url_date: tuple[int, int, int] | None = None
    for index in range(end):
        text = doc.lines[index]
        if not text:
            continue
        source_match = _URL_SOURCE_RE.match(text)
        if source_match and url_date is None:
            url_date = (int(source_match["year"]), int(source_match["month"]), int(source_match["day"]))
            continue
        segments = [s for s in inline(text, doc.refs)
                    if isinstance(s, str) or (not s.image and s.url and "/papers/date/" not in s.url)]
        visible = render(segments, doc.refs).strip().strip("#*_ ").strip()
        match = LIST_DAY_RE.match(visible)
        if match:
            day = parse_date_text(match, source, index + 1)
            if day is not None:
                list_day, line = day, index + 1
    if list_day is not None and list_day.year is None and url_date is not None:
        year, month, day = url_date
        if (month, day) == (list_day.month, list_day.day):
            list_day = list_day.with_year(year)
    return list_day, line


def meta_start(lines: list[MetaLine]) -> int | None:
    """The index of a card's first meta line among its lines after the title (the who before a
    bare "·" included; never the first, which is the abstract's), or None if it shows no meta."""
    for k in range(1, len(lines)):
        if is_meta_line(lines[k]):
            bare_dot = lines[k].text.startswith("·") and not AUTHORS_RE.match(lines[k].text)
            return k - 1 if bare_dot and k >= 2 and looks_like_who(lines[k - 1]) else k
    return None


def abstract_text(blocks: list[Block], count: int, refs: dict[str, str]) -> str:
    """The abstract from the first ``count`` lines of a card's paragraphs, each read by itself (link
    syntax does not span paragraphs) and joined by a space, as the API's abstracts are.  Unescaped
    as titles are: "MMLU\\_Pro" is what a reader tool writes for "MMLU_Pro"."""
    paragraphs: list[str] = []
    for block in blocks:
        if count <= 0:
            break
        paragraphs.append(plain_text(" ".join(block.lines[:count]), refs, unescape=True))
        count -= len(block.lines)
    return " ".join(p for p in paragraphs if p)


def parse_card(doc: _Lines, title: Title, start: int, end: int, upvotes: int | None, rank: int,
               source: str) -> Card:
    """One card from the lines after its title heading (``start``) up to ``end``."""
    body = [line if line and not doc.is_noise(i) and not doc.is_submitter(i) else ""
            for i, line in enumerate(doc.lines[start:end], start)]
    blocks = [Block(b.line + start, b.lines) for b in split_blocks(body)]
    metas = [[meta_line(b.line + k, line, doc.refs) for k, line in enumerate(b.lines)] for b in blocks]
    if not blocks or is_meta_line(metas[0][0]):
        raise SnapshotError(f"card '{shortened(title.text)}' has a title but no abstract", source, start)
    lines = [m for block in metas for m in block]
    cut = meta_start(lines)
    if cut is None:  # no meta: the abstract runs to the next card, but what follows the last is the page's footer
        cut = len(lines) if end < len(doc.lines) else len(blocks[0].lines)
    abstract = abstract_text(blocks, cut, doc.refs)
    meta = parse_tail(lines[cut:], source)
    return Card(
        rank=rank,
        title=title.text,
        abstract=abstract,
        organization=meta.organization,
        authors=meta.authors,
        published=meta.published,
        comments=meta.comments,
        upvotes=upvotes,
        arxiv_id=title.arxiv_id,
        url=f"{HUB}/papers/{title.arxiv_id}",
        line=start,
    )


def parse_crawler_dump(text: str, source: str, problems: list[SnapshotError] | None = None) -> ParsedSnapshot:
    """Read a Markdown dump of the page into a ParsedSnapshot; raise SnapshotError naming the line at
    fault.  With ``problems``, a card that cannot be read is told there, not raised, and left out."""

    def tell(error: SnapshotError) -> None:
        if problems is None:
            raise error
        problems.append(error)

    doc = _Lines(text)
    titles: list[tuple[int, Title | None]] = []  # None: a card's heading that cannot be read (told)
    elsewhere: list[tuple[int, str, str]] = []
    for index, line in enumerate(doc.lines):
        if line.startswith("#"):
            try:
                title = title_heading(line, doc.refs, source, index + 1, elsewhere)
            except SnapshotError as error:
                tell(error)
                # Still where a card starts, and counted: the cards after it keep their numbers.
                titles.append((index, None))
                continue
            if title is not None:
                titles.append((index, title))
    if not titles:
        raise SnapshotError(NO_CARDS, source, 1)
    # A heading of the cards' level that links elsewhere is a card that cannot be read when it
    # stands between the first card and the last, or has an upvote count before it as cards do
    # (before the first card or after the last, other headings are the page's own): said, not
    # left out without a word.
    level = len(doc.lines[titles[0][0]]) - len(doc.lines[titles[0][0]].lstrip("#"))
    left_out_cards: dict[tuple[str, str], tuple[int, str, str]] = {}
    for number, text, url in elsewhere:
        if (doc.lines[number - 1].startswith("#" * level + " ")
                and (titles[0][0] < number - 1 < titles[-1][0] or upvote_line(doc, number - 1, 0))):
            left_out_cards.setdefault((text, url), (number, text, url))  # one card shown twice (trending) is one
    unread_cards = list(left_out_cards.values())
    notes = tuple(f"{source}:{number}: the heading '{shortened(text)}' links to {shortened(url, 60)!r}, not to a "
                  f"paper's page, so its card is left out" for number, text, url in unread_cards)

    # Where each card starts: its upvote line, or its title when it has none.
    starts: list[int] = []
    upvotes: list[int | None] = []
    floor = 0
    for index, _ in titles:
        found = upvote_line(doc, index, floor)
        starts.append(found[0] if found else index)
        upvotes.append(found[1] if found else None)
        floor = index + 1

    # The page's header ends where the first card starts, one that cannot be read too (its date
    # is not the list day).
    header_end = min([starts[0]] + [(upvote_line(doc, number - 1, 0) or (number - 1,))[0]
                                    for number, _, _ in unread_cards])
    list_day, list_day_line = parse_list_day(doc, header_end, source)
    left_out_at = sorted(number - 1 for number, _, _ in unread_cards)
    cards: list[Card] = []
    seen: dict[str, str] = {}
    unread = 0
    for k, (index, title) in enumerate(titles):
        if title is None:
            unread += 1
            continue
        if seen.get(title.arxiv_id) == title.text:
            continue  # trending pages show each card twice (under another title it is kept: merged_card_notes warns)
        seen.setdefault(title.arxiv_id, title.text)
        end = starts[k + 1] if k + 1 < len(titles) else len(doc.lines)
        try:
            # The cards left out before it are counted, as the page shows them: ranks stay the page's.
            left_out = bisect.bisect_left(left_out_at, index)
            cards.append(parse_card(doc, title, index + 1, end, upvotes[k], len(cards) + unread + left_out + 1,
                                    source))
        except SnapshotError as error:
            tell(error)
            unread += 1
    return ParsedSnapshot(source=source, format="text", list_day=list_day, list_day_line=list_day_line,
                          cards=tuple(cards), notes=notes)
