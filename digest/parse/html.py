"""Saved HTML pages of the Daily Papers page (``/papers``, ``/papers/date/…``, ``/papers/trending``).

Two sources of cards, tried in this order:

1. the hydration data: ``<div data-target="DailyPapers" data-props="{…}">``
   holds the page's data as HTML-escaped JSON, a ``dailyPapers`` list of items
   shaped like the API's (``digest.parse.api`` reads them);
2. the visible cards: one ``<article>`` per paper, the title in
   ``h3 > a[href="/papers/<arxiv id>"]``, the upvotes in a small element before
   it (``-`` is zero), then the organization pill (``a[href="/<org>"]``) or the
   author count (``· 24 authors``), the date (``May 14``, ``Nov 7, 2024``) and
   the comment link (``/papers/<id>#community``).  Trending pages render each
   card twice (desktop and mobile); the first one counts.

The list day comes from the page header (a lone ``Dec 16`` near "Daily
Papers") and, for its year, from the page's own URL (canonical link,
``og:url``, the ``saved from url`` comment browsers add).  A trending page has
no list day.

The page is untrusted: text comes out as plain text, links only when http(s),
and nothing but ``SnapshotError`` leaves ``parse_html_snapshot``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import re
import warnings
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator

# BeautifulSoup is imported when a saved page is parsed (``_import_soup``): a build of text dumps
# and API snapshots starts without it.
BeautifulSoup = Comment = NavigableString = Tag = None

from digest.errors import SnapshotError, shortened
from digest.models import Card, Organization, ParsedSnapshot, PartialDate
from digest.parse.api import (ARXIV_ID_RE, GITHUB_RE, HUB, NotJSONConstant, json_limit, web_url, cards_from_items,
                              strict_decoder, unversioned)
from digest.parse.text import DATE_PATTERN, ZERO_WIDTH, UPVOTE_COUNT_RE, parse_date_text, shown_count

#: How much of the start of a file ``looks_like_html`` reads.
_SNIFF = 65536
#: At most this many elements are examined per card (a bound on hostile pages).
_MAX_CARD_TAGS = 3000

_LEADING_JUNK_RE = re.compile(r"\A(?:\s|\ufeff|<!--.*?-->|<\?xml[^>]*\?>)*", re.DOTALL)
_HTML_START_RE = re.compile(r"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
_HTML_MARKERS_RE = re.compile(r"data-target\s*=\s*[\"']?DailyPapers|<article[\s>]", re.IGNORECASE)

_DATE_RE = re.compile(rf"^[·•\s]*(?:Published on\s+)?{DATE_PATTERN}$")
_DATE_IN_TEXT_RE = re.compile(rf"(?:^|[·•]\s*){DATE_PATTERN}(?=\s|$)")
#: An author count as cards show it: ``24``, or from a thousand on grouped, ``1,024`` (below a million either way).
_AUTHOR_COUNT = r"(?P<count>\d{1,3},\d{3}|\d{1,6})"
AUTHORS_RE = re.compile(rf"^[·•*\-\s]*{_AUTHOR_COUNT}\s+authors?$", re.IGNORECASE)
_AUTHORS_IN_TEXT_RE = re.compile(rf"(?:^|[·•]\s*){_AUTHOR_COUNT}\s+authors?(?=\s*(?:[·•]|$))", re.IGNORECASE)
HANDLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_HUB_PREFIX_RE = re.compile(r"^https?://(?:www\.)?huggingface\.co(?=/)", re.IGNORECASE)
_PAPERS_URL_RE = re.compile(
    r"^(?:https?://(?:www\.)?huggingface\.co)?/papers"
    r"(?:/date/(?P<date>\d{4}-\d{2}-\d{2})"  # /papers/date/2025-12-16
    r"|/(?P<other>trending|week|month)\b"  # pages that are not one day's list
    r"|/?\?(?:[^#]*&)?date=(?P<qdate>\d{4}-\d{2}-\d{2}))",  # older /papers?date=2025-12-16
    re.IGNORECASE,
)
_SAVED_FROM_RE = re.compile(r"<!--\s*saved from url=\(\d+\)(?P<url>[^\s>]+?)\s*-->", re.IGNORECASE)

#: First path segments of the hub that are not organizations.
_SITE_PATHS = frozenset({
    "papers", "models", "datasets", "spaces", "docs", "login", "join", "pricing", "blog", "posts",
    "collections", "settings", "enterprise", "organizations", "search", "learn", "chat", "tasks",
    "api", "notifications", "new", "welcome", "terms-of-service", "privacy", "huggingchat",
})
_BLOCK_TAGS = ("address", "article", "aside", "blockquote", "div", "dl", "footer", "form", "h1", "h2",
               "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "p", "pre", "section",
               "table", "ul")
_PARAGRAPH_TAGS = frozenset({"p", "div", "span", "blockquote", "section"})
_INVISIBLE_TAGS = frozenset({"script", "style", "template", "noscript", "svg", "head", "title", "iframe",
                             "object", "textarea", "select"})


def _import_soup() -> None:
    global BeautifulSoup, Comment, NavigableString, Tag
    if BeautifulSoup is None:
        from bs4 import BeautifulSoup, Comment, NavigableString, Tag


def looks_like_html(text: str) -> bool:
    """True for a saved web page: it starts (after BOM, spaces and comments) with ``<!DOCTYPE html``
    or ``<html``, or its first part holds the hydration element or an ``<article>``."""
    head = text[:_SNIFF]
    start = _LEADING_JUNK_RE.match(head)
    rest = head[start.end():] if start else head
    if rest[:1] in ("[", "{"):
        return False
    if _HTML_START_RE.match(rest):
        return True
    # The case-blind search is slow on a text dump; it cannot match without "data-target" or "<art" in
    # any case (no other character matches these letters when case is ignored).
    # Both markers are tags, so a text without "<" has neither (and lowering it, a copy, is spared).
    if "<" not in head:
        return False
    lower = head.lower()
    return ("data-target" in lower or "<art" in lower) and _HTML_MARKERS_RE.search(head) is not None


def parse_html_snapshot(text: str, source: str) -> ParsedSnapshot:
    """Read a saved Daily Papers page into a ParsedSnapshot; raise SnapshotError for anything else."""
    try:
        return _parse(text, source)
    except SnapshotError:
        raise
    except Exception as error:  # untrusted input: whatever breaks inside, the user gets one clear error
        raise SnapshotError(f"cannot read this HTML page ({type(error).__name__})", source, 1) from None


# --------------------------------------------------------------------------
# The page as a whole


def _parse(text: str, source: str) -> ParsedSnapshot:
    _import_soup()
    with warnings.catch_warnings():
        # A snapshot is text, never a file name or URL, whatever it looks like: no warning for that.
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(text, "lxml")
    for line_break in soup.find_all("br"):  # a line break parts words as a space does ("Z-Image:<br>An")
        line_break.replace_with(" ")
    lines = _Lines(text)
    titles = _find_titles(soup)
    scopes = _card_scopes(titles)
    hydration = _find_hydration(soup, text, lines, source)
    cards: tuple[Card, ...] = ()
    if hydration is not None and hydration.items:
        cards = cards_from_items([(hydration.line, item) for item in hydration.items], source)
    from_data = bool(cards)
    notes: tuple[str, ...] = ()
    if not cards:
        page_headings = soup.find_all("h3")
        locator = _TitleLocator(text, lines)
        unread = _unread_cards(soup, titles, page_headings, locator, source)
        notes = tuple(note for _, note in unread)
        cards = _cards_from_markup(soup, scopes, titles, locator, source, page_headings, [n for n, _ in unread])
    # A page ends with </html>: one that does not was cut short (a download, a save stopped), and
    # what it lists may be only some of its cards, the last of them in part.
    cut_short = _HTML_END_RE.search(text) is None
    if not cards:
        raise SnapshotError("no list of papers found, and the page ends before </html>: was the file cut short? "
                            "(save the page again)" if cut_short else
                            "not a Daily Papers snapshot: no list of papers found", source, len(lines.starts) if cut_short else 1)
    if cut_short and not from_data:
        notes += (f"{source}:{len(lines.starts)}: the page ends before </html>: the file was cut short, and may "
                  f"list only some of the day's papers, the last in part (save the page again)",)
    list_day, list_day_line = _find_list_day(soup, text, lines, scopes, hydration, source)
    return ParsedSnapshot(source=source, format="html", list_day=list_day,
                          list_day_line=list_day_line, cards=cards, years_printed=not from_data, notes=notes)


#: The end of a page, wherever it stands (what follows it, a comment or a script, may be long).
_HTML_END_RE = re.compile(r"</html\b", re.IGNORECASE)


class _Lines:
    """Line numbers of positions in the source text (lxml does not keep them for BeautifulSoup)."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def of(self, position: int) -> int:
        return bisect.bisect_right(self.starts, max(position, 0))


def _clean(text: str) -> str:
    """Plain text with whitespace collapsed and zero-width characters removed."""
    return " ".join(ZERO_WIDTH.sub("", text).split())


def _own_text(tag: Tag) -> str:
    """The text directly inside ``tag`` (not in child elements, comments or scripts)."""
    return _clean("".join(c for c in tag.contents if type(c) is NavigableString))


def _attr(tag: Tag, name: str) -> str:
    """An attribute as one string ("" when absent; multi-valued attributes joined)."""
    value = tag.get(name)
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def _iter_tags(root: Tag, skip: Callable[[Tag], bool] = lambda tag: False,
               limit: int | None = None, leaves: set[int] = frozenset()) -> Iterator[Tag]:
    """Elements under ``root`` in document order; ``skip(tag)`` leaves out a tag and all it holds.
    A tag whose id the caller puts in ``leaves`` when it is yielded is not gone into."""
    stack = [c for c in reversed(root.contents) if isinstance(c, Tag)]
    count = 0
    while stack:
        tag = stack.pop()
        if skip(tag):
            continue
        yield tag
        count += 1
        if limit is not None and count >= limit:
            return
        if id(tag) not in leaves:
            stack.extend(c for c in reversed(tag.contents) if isinstance(c, Tag))


# --------------------------------------------------------------------------
# Hydration data


@dataclass(frozen=True)
class _Hydration:
    items: list[Any]
    line: int
    props: dict[str, Any]


def _find_hydration(soup: BeautifulSoup, text: str, lines: _Lines, source: str) -> _Hydration | None:
    """The items of the DailyPapers hydration element, or of another papers hydration element
    (such as a trending page's) whose props hold a list of API-shaped items."""
    others: list[Tag] = []
    for element in soup.find_all(attrs={"data-target": True}):
        target = _attr(element, "data-target").strip()
        if target == "DailyPapers":
            line = _line_of_target(text, lines, target)
            raw = element.get("data-props")
            if not isinstance(raw, str) or not raw.strip():
                continue
            try:
                props = strict_decoder().decode(raw)
            except (ValueError, RecursionError) as error:
                # json's message with its place in the attribute's value ("Unterminated string starting at" ends there)
                detail = (f"{error.msg}: character {error.pos + 1:,} of it" if isinstance(error, json.JSONDecodeError)
                          else f"{error.constant} is no JSON value" if isinstance(error, NotJSONConstant)
                          else json_limit(error))
                raise SnapshotError(f"malformed hydration data: the data-props JSON of the DailyPapers "
                                    f"element on line {line} is not valid ({detail})", source, line) from None
            items = _items_of(props, prefer="dailyPapers")
            if items is not None:
                return _Hydration(items, line, props if isinstance(props, dict) else {})
        elif "paper" in target.casefold():
            others.append(element)
    for element in others:
        target = _attr(element, "data-target").strip()
        try:
            props = strict_decoder().decode(_attr(element, "data-props"))
        except (ValueError, RecursionError):
            continue  # not the element we know: ignore it rather than fail on it
        items = _items_of(props, prefer=None)
        if items:
            return _Hydration(items, _line_of_target(text, lines, target), props if isinstance(props, dict) else {})
    return None


def _items_of(props: Any, prefer: str | None) -> list[Any] | None:
    """The list of paper items in hydration props: ``props[prefer]`` when it is a list, else the
    first list whose every element is an API-shaped item (a ``paper`` object with an id or title)."""
    if isinstance(props, dict) and prefer is not None and isinstance(props.get(prefer), list):
        return props[prefer]
    candidates: list[Any] = []
    if isinstance(props, list):
        candidates.append(props)
    elif isinstance(props, dict):
        keys = sorted(props, key=lambda k: "paper" not in str(k).casefold())
        candidates.extend(props[k] for k in keys)
    for value in candidates:
        if isinstance(value, list) and value and all(_is_item(v) for v in value):
            return value
    return None


def _is_item(value: Any) -> bool:
    paper = value.get("paper") if isinstance(value, dict) else None
    return isinstance(paper, dict) and ("id" in paper or "title" in paper)


def _line_of_target(text: str, lines: _Lines, target: str) -> int:
    match = re.search(r"data-target\s*=\s*[\"']?" + re.escape(target) + r"(?![\w-])", text)
    return lines.of(match.start()) if match else 1


# --------------------------------------------------------------------------
# Visible cards


@dataclass(frozen=True)
class _Title:
    heading: Tag  #: the h3
    link: Tag  #: the a inside it
    arxiv_id: str
    text: str


def _paper_id(href: str) -> str | None:
    """The arXiv id of a ``/papers/<id>`` link (relative or on huggingface.co), else None."""
    href = _HUB_PREFIX_RE.sub("", href.strip())
    if not href.startswith("/papers/"):
        return None
    paper = re.split(r"[#?]", href[len("/papers/"):], maxsplit=1)[0].rstrip("/")
    return unversioned(paper) if ARXIV_ID_RE.fullmatch(paper) else None


def _find_titles(soup: BeautifulSoup) -> list[_Title]:
    """Every card title: an ``h3`` holding a link to ``/papers/<arXiv id>`` with text, in page order
    (the first such link of each heading), outside what a browser hides (see _INVISIBLE_TAGS)."""
    titles: list[_Title] = []
    done: set[int] = set()
    heading_above: dict[int, Tag | None] = {}
    # Links in what a browser does not show (a <noscript> of a page that has script, a <template>):
    # no card of the page.
    hidden = {id(link) for tag in soup.find_all(_INVISIBLE_TAGS) for link in tag.find_all("a")}
    for link in soup.find_all("a", href=True):
        arxiv_id = _paper_id(_attr(link, "href"))
        if arxiv_id is None or id(link) in hidden:
            continue
        heading = _heading_of(link, heading_above)
        if heading is None or id(heading) in done:
            continue
        text = _clean(link.get_text())
        if text:
            done.add(id(heading))
            titles.append(_Title(heading, link, arxiv_id, text))
    return titles


#: How far above a heading its card's <article> is looked for (a few levels on real pages): a
#: bounded climb, so that headings under many nested elements take no longer than the rest.
_CARD_DEPTH = 12


def _article_of(heading: Tag) -> Tag | None:
    """The nearest ``<article>`` within _CARD_DEPTH levels above ``heading``, if any."""
    for depth, ancestor in enumerate(heading.parents):
        if depth >= _CARD_DEPTH:
            return None
        if ancestor.name == "article":
            return ancestor
    return None


def _unread_cards(soup: BeautifulSoup, titles: list[_Title], page_headings: list[Tag], locator: _TitleLocator,
                  source: str) -> list[tuple[int, str]]:
    """Each card (an ``<article>`` with an ``h3``) whose heading holds no link to a paper's page
    with its title: its heading's index in ``page_headings`` (the page's ``h3``, in order) and
    its warning.  Left out of the list, and said, not dropped without a word."""
    read = {id(article) for title in titles if (article := _article_of(title.heading)) is not None}
    hidden = {id(heading) for tag in soup.find_all(_INVISIBLE_TAGS) for heading in tag.find_all("h3")}
    notes = []
    for n, heading in enumerate(page_headings):
        article = _article_of(heading) if id(heading) not in hidden else None
        if article is None or id(article) in read:
            continue
        read.add(id(article))  # one warning a card
        shown = _clean(heading.get_text())
        if not shown and heading.find("a") is None:
            continue  # an empty heading, linking nowhere: a card still to load, no card the page shows
        line = locator.heading_line(n, len(page_headings))
        what = f"the heading '{shortened(shown)}' has no link to a paper's page" if shown else "a card's heading has no title"
        notes.append((n, f"{source}:{line}: {what}, so its card is left out"))
    return notes


def _heading_of(link: Tag, heading_above: dict[int, Tag | None]) -> Tag | None:
    """The ``h3`` holding ``link``, if any.  ``heading_above`` keeps it for every element passed, so
    that no element is climbed twice: 20,000 links under 600,000 nested elements each climbing
    them all ran for minutes before they were stopped."""
    passed: list[int] = []
    heading = None
    for ancestor in link.parents:
        if ancestor.name == "h3" or id(ancestor) in heading_above:
            heading = ancestor if ancestor.name == "h3" else heading_above[id(ancestor)]
            break
        passed.append(id(ancestor))
    heading_above.update(dict.fromkeys(passed, heading))
    return heading


def _card_scopes(titles: list[_Title]) -> list[tuple[_Title, Tag]]:
    """Each title with the element holding its card: its ``<article>``, or without one the largest
    ancestor that holds no other paper's title."""
    # For each element above a title: the paper whose titles it holds, or None when it holds titles
    # of several.  A climb stops where this paper or several are known (so they are above), and a
    # scope found is kept for each element taken into it: no element is climbed more than twice,
    # where a thousand titles under 600,000 nested elements each climbing them all took 20 GB in minutes.
    paper_under: dict[int, str | None] = {}
    for title in titles:
        for ancestor in title.heading.parents:
            held = paper_under.get(id(ancestor), "")
            if held is None or held == title.arxiv_id:
                break
            paper_under[id(ancestor)] = title.arxiv_id if held == "" else None
    scopes = []
    scope_of: dict[int, Tag] = {}
    for title in titles:
        scope: Tag = title.heading
        passed: list[int] = []
        for ancestor in title.heading.parents:
            if id(ancestor) in scope_of:
                scope = scope_of[id(ancestor)]
                break
            if ancestor.name in ("body", "html", "[document]") or paper_under[id(ancestor)] is None:
                break
            scope = ancestor
            passed.append(id(ancestor))
            if ancestor.name == "article":
                break
        scope_of.update(dict.fromkeys(passed, scope))
        scopes.append((title, scope))
    return scopes


def _cards_from_markup(soup: BeautifulSoup, scopes: list[tuple[_Title, Tag]], titles: list[_Title],
                       locator: _TitleLocator, source: str, page_headings: list[Tag],
                       left_out: list[int]) -> tuple[Card, ...]:
    """Cards from the visible markup, one per paper: the first card of a paper shown twice (as
    trending pages do) wins, and only what it lacks is taken from the later copy.  Further copies
    are not read: 39,000 titles of one paper in one element each read all of it again (minutes).
    The cards ``left_out`` (their indexes in ``page_headings``, in order) count in the ranks of
    the cards after them, as the page shows them."""
    order = {id(heading): n for n, heading in enumerate(page_headings)} if left_out else {}
    cards: list[Card] = []
    index_of: dict[str, int] = {}
    copied: set[str] = set()
    headings = {id(t.heading) for t in titles}
    holding = _holding_blocks(soup)
    for title, scope in scopes:
        index = index_of.get(title.arxiv_id)
        if index is None:
            index_of[title.arxiv_id] = len(cards)
            line = locator.line(title.arxiv_id)
            rank = len(cards) + 1 + (bisect.bisect(left_out, order[id(title.heading)]) if left_out else 0)
            cards.append(_card_from_scope(title, scope, headings, holding, rank, line, source))
        elif title.arxiv_id not in copied:
            copied.add(title.arxiv_id)
            first = cards[index]
            copy = _card_from_scope(title, scope, headings, holding, first.rank, first.line, source)
            cards[index] = _complete(first, copy)
            if copy.title != first.title:  # not a copy: kept for the warning that the site shows one paper
                cards.append(replace(copy, rank=cards[-1].rank + 1, line=locator.line(title.arxiv_id)))
    return tuple(cards)


def _complete(first: Card, copy: Card) -> Card:
    """``first`` with the fields it lacks taken from ``copy`` (another rendering of the same card)."""
    changes: dict[str, Any] = {}
    for name in ("abstract", "organization", "authors", "published", "comments", "upvotes", "project_page",
                 "thumbnail"):
        if getattr(first, name) in (None, "") and getattr(copy, name) not in (None, ""):
            changes[name] = getattr(copy, name)
    if first.github is None and copy.github is not None:
        changes["github"], changes["github_stars"] = copy.github, copy.github_stars
    return replace(first, **changes) if changes else first


#: A link to a paper in the markup: ``/papers/<arXiv id>``, the id ending there.
_PAPER_LINK_RE = re.compile(r"/papers/(" + ARXIV_ID_RE.pattern.strip("^$") + r")(?![\w.])")


class _TitleLocator:
    """Lines of the ``<h3`` tags that link to given papers, found in page order."""

    def __init__(self, text: str, lines: _Lines):
        self.text, self.lines = text, lines
        self.headings = [m.start() for m in re.finditer(r"<h3[\s>]", text, re.IGNORECASE)]
        self.next = 0
        self._linking: dict[str, list[int]] | None = None

    def _headings_by_paper(self) -> dict[str, list[int]]:
        """For each paper, the headings that link to it (indexes, in page order): the page is
        read once, where looking each title up from the last one found took every heading after
        it again for a title not found (thousands of headings: minutes)."""
        linking: dict[str, list[int]] = {}
        for index, start in enumerate(self.headings):
            end = self.text.find("</h3", start, start + 4000)
            for match in _PAPER_LINK_RE.finditer(self.text, start, end if end >= 0 else start + 4000):
                found = linking.setdefault(unversioned(match[1]), [])
                if not found or found[-1] != index:
                    found.append(index)
        return linking

    def heading_line(self, n: int, count: int) -> int:
        """The line of the page's ``n``-th of ``count`` ``h3`` elements: the ``n``-th ``<h3`` of the
        source, where the parser kept them all (it keeps no lines), else 1."""
        return self.lines.of(self.headings[n]) if len(self.headings) == count else 1

    def line(self, arxiv_id: str) -> int:
        if self._linking is None:
            self._linking = self._headings_by_paper()
        found = self._linking.get(arxiv_id, [])
        position = bisect.bisect_left(found, self.next)
        if position == len(found):
            return 0
        self.next = found[position] + 1
        return self.lines.of(self.headings[found[position]])


def _card_from_scope(title: _Title, scope: Tag, headings: set[int], holding: set[int], rank: int, line: int,
                     source: str) -> Card:
    """One card from the element that holds it; ``headings`` are the ids of all title headings,
    ``holding`` those of the elements that hold a block (``_holding_blocks``)."""

    def hidden(tag: Tag) -> bool:
        return id(tag) in headings or tag.name in _INVISIBLE_TAGS

    upvotes = _upvotes(scope, title.heading)
    abstract_tag = _abstract(scope, hidden, holding, title.text)
    abstract_id = id(abstract_tag) if abstract_tag is not None else None

    def outside_abstract(tag: Tag) -> bool:
        return hidden(tag) or id(tag) == abstract_id

    organization = authors = published = comments = github = stars = project_page = thumbnail = None
    dated_fallback: PartialDate | None = None
    authors_fallback: int | None = None
    linked: set[int] = set()  # the links of the card and all they hold: names, not dates
    for tag in _iter_tags(scope, outside_abstract, limit=_MAX_CARD_TAGS):
        if tag.name == "a" or (tag.parent is not None and id(tag.parent) in linked):
            linked.add(id(tag))
        own = _own_text(tag)
        if authors is None and own:
            match = AUTHORS_RE.match(own)
            if match:
                authors = shown_count(match["count"])
        if published is None and own and id(tag) not in linked:  # a link's text is a name, even "Jan 5" (an organization's)
            match = _DATE_RE.match(own)
            if match:
                published = parse_date_text(match, source, line or 1)
        if (published is None or authors is None) and tag.name != "a" and _shallow(tag):
            # "18 authors · Oct 5, 2022" in one element: take the parts the lone texts did not give
            whole = _clean(tag.get_text())
            if len(whole) < 100:
                match = _DATE_IN_TEXT_RE.search(whole) if dated_fallback is None else None
                if match:
                    dated_fallback = parse_date_text(match, source, line or 1)
                match = _AUTHORS_IN_TEXT_RE.search(whole) if authors_fallback is None else None
                if match:
                    authors_fallback = shown_count(match["count"])
        if tag.name == "a":
            href = _attr(tag, "href").strip()
            if comments is None and href.endswith("#community"):
                comments = shown_count(_clean(tag.get_text()))
            elif organization is None and (org := _organization(tag, href)) is not None:
                organization = org
            elif (url := web_url(href)) is not None and not _HUB_PREFIX_RE.match(url):
                label = _clean(tag.get_text())
                if github is None and GITHUB_RE.match(url):
                    github, stars = url, shown_count(label)
                elif project_page is None and "project" in label.casefold():
                    project_page = url
            if thumbnail is None and _paper_id(href) == title.arxiv_id:
                image = tag.find("img")
                thumbnail = web_url(_attr(image, "src")) if image is not None else None
    return Card(
        rank=rank,
        title=title.text,
        abstract=_clean(abstract_tag.get_text()) if abstract_tag is not None else "",
        organization=organization,
        authors=authors if authors is not None else authors_fallback,
        published=published or dated_fallback,
        comments=comments,
        upvotes=upvotes,
        arxiv_id=title.arxiv_id,
        url=f"{HUB}/papers/{title.arxiv_id}",
        line=line,
        github=github,
        github_stars=stars if github else None,
        project_page=project_page,
        thumbnail=thumbnail,
    )


def _shallow(tag: Tag) -> bool:
    """True for a small element: few children, none of which holds further elements."""
    return len(tag.contents) < 40 and all(
        not isinstance(child, Tag) or not any(isinstance(c, Tag) for c in child.contents)
        for child in tag.contents
    )


def _upvotes(scope: Tag, heading: Tag) -> int | None:
    """The number (``-`` is zero) in the last small element before the title."""
    found: int | None = None
    for tag in _iter_tags(scope, lambda t: t.name in _INVISIBLE_TAGS, limit=_MAX_CARD_TAGS):
        if tag is heading:
            break
        own = _own_text(tag)
        if own and UPVOTE_COUNT_RE.match(own):
            found = shown_count(own) or 0  # a dash: none
    return found


def _holding_blocks(soup: BeautifulSoup) -> set[int]:
    """The ids of the elements that hold a block element (``_BLOCK_TAGS``), found in one pass: asking
    each element (``tag.find``) took 150 µs an element, and the depth of what it holds."""
    holding: set[int] = set()
    for block in soup.find_all(_BLOCK_TAGS):
        for ancestor in block.parents:
            if id(ancestor) in holding:
                break  # and so are all above it
            holding.add(id(ancestor))
    return holding


def _abstract_marker(text) -> bool:
    """The comment Svelte writes before text it sets as HTML: on the hub, a card's abstract."""
    return isinstance(text, Comment) and text.strip() == "HTML_TAG_START"


def _abstract(scope: Tag, hidden: Callable[[Tag], bool], holding: set[int], title: str) -> Tag | None:
    """The card's abstract: of its paragraph-like elements (no block inside, not hidden), the
    longest the hub marks as text set as HTML (after a ``<!-- HTML_TAG_START -->`` comment),
    however short ("This paper has been withdrawn by the authors."); else the longest of
    several sentences' worth."""
    best, best_length = None, 0
    marked, marked_length = None, 0
    # The text of an element inside a candidate is part of the candidate's: none is longer, so
    # none is looked at (span in span in span... would otherwise take the text again and again).
    candidates: set[int] = set()
    for tag in _iter_tags(scope, hidden, limit=_MAX_CARD_TAGS, leaves=candidates):
        if tag.name not in _PARAGRAPH_TAGS or id(tag) in holding:
            continue
        candidates.add(id(tag))
        text = _clean(tag.get_text())
        if not text or text == title:
            continue
        if len(text) > marked_length and tag.find(string=_abstract_marker) is not None:
            marked, marked_length = tag, len(text)
        if len(text) > best_length and len(text) >= 60 and len(text.split()) >= 8:
            best, best_length = tag, len(text)
    return marked or best


def _organization(link: Tag, href: str) -> Organization | None:
    """The organization pill: a link to ``/<org>`` (one path segment) that shows a name."""
    path = _HUB_PREFIX_RE.sub("", href)
    match = re.fullmatch(r"/([^/?#\s]+)/?(?:[?#].*)?", path)  # a query or fragment is no part of the handle
    if not match or not HANDLE_RE.match(match[1]) or match[1].casefold() in _SITE_PATHS:
        return None
    name = _clean(link.get_text())
    if not name or _after_submitted_by(link):
        return None
    handle = match[1]
    # The handle, then the name it stands for, as text dumps show them: in elements of their own
    # ("allenai", "Ai2"), or in one text where the name looks like the handle ("nvidia NVIDIA").
    # A display name alone may start with the handle too ("Skywork AI" of /Skywork).
    shown = [text for text in link.find_all(string=True) if not isinstance(text, Comment) and text.strip()]
    if len(shown) > 1 and _clean(shown[0].parent.get_text()) == handle:  # the whole text of its element
        name = _clean(" ".join(shown[1:]))
    elif name.startswith(handle + " ") and _names_alike(handle, name[len(handle) + 1:].split()[0]):
        name = name[len(handle) + 1:].strip()
    return Organization(handle=handle, name=name)


def _names_alike(handle: str, word: str) -> bool:
    """Whether ``word`` starts a name the handle stands for: the one's letters and digits start the
    other's, whatever their case ("deepseek-ai" and "DeepSeek", "Tongyi-MAI" and "Tongyi-MAI")."""
    handle, word = ("".join(c for c in text.casefold() if c.isalnum()) for text in (handle, word))
    return bool(word) and (handle.startswith(word) or word.startswith(handle))


def _after_submitted_by(link: Tag) -> bool:
    """Whether the link comes right after the words "Submitted by" (in its parent, or in elements
    of their own, one word each even): the user who submitted the paper, not its organization.
    Words before an earlier link are that link's, unless it is the same user's right before this
    one (one such link at most): the submitter's avatar link, then a link with their name."""
    parent = link.parent
    if parent is not None and _own_text(parent).casefold().startswith("submitted"):
        return True
    href = _attr(link, "href").strip()
    before = ""
    passed = False
    for element in link.previous_elements:
        if isinstance(element, Tag) and element.name == "a":
            if passed or _attr(element, "href").strip() != href or _clean(before) != _clean(element.get_text()):
                break
            before, passed = "", True  # only the same user's avatar (or name) between: the words come before it
            continue
        if type(element) is NavigableString:
            before = f"{element} {before}"
            if len(before.strip()) > 40:  # far more than the words looked for
                break
    return _clean(before).casefold().rstrip(" :").endswith("submitted by")


# --------------------------------------------------------------------------
# The list day


def _find_list_day(soup: BeautifulSoup, text: str, lines: _Lines, scopes: list[tuple[_Title, Tag]],
                   hydration: _Hydration | None, source: str) -> tuple[PartialDate | None, int]:
    """The list day and its line: the header's lone date, completed with the year of the page's
    URL when they agree; a trending (or weekly, monthly) page has none."""
    full, full_line, other_page = _url_date(soup, text, lines)
    if hydration is not None:
        period = hydration.props.get("periodType")
        if isinstance(period, str) and period.casefold() not in ("day", "daily"):
            other_page = True
        if full is None and not other_page:
            full = _iso(hydration.props.get("dateString"))
            full_line = hydration.line
    if other_page:
        return None, 1
    header, header_line = _header_date(soup, text, lines, scopes, source)
    if header is not None:
        if full is not None and (full.month, full.day) == (header.month, header.day) \
                and header.year in (None, full.year):
            return PartialDate(full.month, full.day, full.year), header_line
        return header, header_line
    if full is not None:
        return PartialDate(full.month, full.day, full.year), full_line
    return None, 1


def _iso(value: Any) -> dt.date | None:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _url_date(soup: BeautifulSoup, text: str, lines: _Lines) -> tuple[dt.date | None, int, bool]:
    """(date, line, is another kind of page) from the page's URL: canonical link, og:url, or the
    ``saved from url`` comment, the first of them that is a papers URL."""
    urls: list[str] = []
    for link in soup.find_all("link", href=True):
        if "canonical" in _attr(link, "rel").casefold().split():
            urls.append(_attr(link, "href"))
    for meta in soup.find_all("meta", content=True):
        if _attr(meta, "property").strip().casefold() == "og:url":
            urls.append(_attr(meta, "content"))
    saved = _SAVED_FROM_RE.search(text, 0, _SNIFF)
    if saved:
        urls.append(saved["url"])
    for url in urls:
        match = _PAPERS_URL_RE.match(url.strip())
        if not match:
            continue
        if match["other"]:
            return None, 1, True
        day = _iso(match["date"] or match["qdate"])
        if day is not None:
            position = text.find(url)
            return day, lines.of(position) if position >= 0 else 1, False
    return None, 1, False


def _header_date(soup: BeautifulSoup, text: str, lines: _Lines, scopes: list[tuple[_Title, Tag]],
                 source: str) -> tuple[PartialDate | None, int]:
    """A lone date (``Dec 16``) in the page before the first card, the first after "Daily Papers"
    when that heading is there; not inside links, cards or invisible elements."""
    body = soup.body or soup
    first_card = scopes[0][1] if scopes else None
    cards = {id(scope) for _, scope in scopes}
    after_heading: re.Match[str] | None = None
    before_heading: re.Match[str] | None = None
    heading_seen = reached_cards = False
    in_links: set[int] = set()

    def skip(tag: Tag) -> bool:
        nonlocal reached_cards
        reached_cards = reached_cards or tag is first_card
        return tag.name in _INVISIBLE_TAGS or id(tag) in cards

    for tag in _iter_tags(body, skip):
        if reached_cards:
            break
        if tag.name == "a" or (tag.parent is not None and id(tag.parent) in in_links):
            in_links.add(id(tag))  # a link's date (previous/next day) is not the list day
            if tag.name == "a" and "daily papers" in _clean(tag.get_text()).casefold():
                heading_seen = True
            continue
        own = _own_text(tag)
        if "daily papers" in own.casefold():
            heading_seen = True
            continue
        match = re.fullmatch(DATE_PATTERN, own) if own else None
        if match and _is_date(match, source):
            if heading_seen:
                after_heading = match
                break
            before_heading = before_heading or match
    match = after_heading or before_heading
    if match is None:
        return None, 1
    line = _line_of_text(text, lines, match.group(0))
    return parse_date_text(match, source, line), line


def _is_date(match: re.Match[str], source: str) -> bool:
    try:
        return parse_date_text(match, source, 1) is not None
    except SnapshotError:
        return False


def _line_of_text(text: str, lines: _Lines, shown: str) -> int:
    """The line of an element whose text is ``shown`` (searched after "Daily Papers" first)."""
    pattern = re.compile(r">\s*(" + r"\s+".join(re.escape(w) for w in shown.split()) + r")\s*<")
    heading = text.find("Daily Papers", max(text.find("<body"), 0))
    match = pattern.search(text, max(heading, 0)) or pattern.search(text)
    return lines.of(match.start(1)) if match else 1
