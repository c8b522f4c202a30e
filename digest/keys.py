"""Keys of outputs: a hash of everything a page, e-mail or Markdown file is made from.

The cache (digest.cache) reuses an output when its key is the one recorded by
the last build.  Most of what a site is made from is papers as lists show them
(``ListedPaper``): every day's page, e-mail and Markdown file and every topic
page lists dozens, each with its abstract.  Hashing each listed paper in full
for every output that lists it was most of a day's rebuild at 1,000 days.

A listed paper is made of two parts: the paper's own fields, the same wherever
it is listed, and the fields of its place in one list (``PLACE_FIELDS``).  So
each paper's own part is hashed once per build (``listing_keys``), and a
listed paper enters a key as that hash plus its place.  A day's page is keyed
once and the key reused by its HTML page, e-mail and Markdown file.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Iterable
from typing import Any

from digest.models import Library
from digest.pages import DayPage, ListedPaper, TopicPage, TopicSlice, listed_paper, topic_links

#: The fields of a ListedPaper set by the list it is in (a day, a topic), or by the paper's history;
#: all the others come from the paper alone (see ``paper_listing``).
PLACE_FIELDS = ("comments", "upvotes", "first_seen", "last_seen", "appearances", "best_rank",
                "rank", "status", "previous_rank", "terms")


def paper_listing(paper, topic_titles: dict[str, str]) -> ListedPaper:
    """The part of a listed paper that is the paper's own: every place field left empty."""
    return listed_paper(paper, topic_titles, history=False, links=topic_links(paper, topic_titles),
                        comments=None, upvotes=None)


#: The place fields of a listed paper, as a tuple.
place = operator.attrgetter(*PLACE_FIELDS)


def listing_keys(library: Library, papers: Iterable[str] | None = None) -> dict[str, str]:
    """For every paper (by Paper.key), or those named, the hash of its own part of a listing."""
    titles = {t.slug: t.title for t in library.topics}
    return {key: _sha(repr(paper_listing(library.papers[key], titles)))
            for key in (library.papers if papers is None else papers)}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class OutputKeys:
    """Makes keys from anything the outputs are made of: plain values, dicts, lists, frozen
    dataclasses.  Listed papers and day pages go in by the shortcuts above; everything else by
    its ``repr``.  ``remember_days`` keys the day pages up front, in the build process, so that
    worker processes share them."""

    def __init__(self, salt: str, listings: dict[str, str]):
        self.salt = salt
        self.listings = listings
        self._days: dict[int, tuple[DayPage, str]] = {}  # by id(); the page is kept so the id stays its own

    def __call__(self, *parts: Any) -> str:
        out = [self.salt]
        self._encode(parts, out)
        return _sha("\0".join(out))

    def remember_days(self, days: list[DayPage]) -> None:
        for day in days:
            self._day(day)

    def _day(self, day: DayPage) -> str:
        known = self._days.get(id(day))
        if known is not None and known[0] is day:
            return known[1]
        out: list[str] = []
        self._encode((day.date, day.title, day.sources, day.items, day.dropped, day.previous, day.next), out)
        key = _sha("\0".join(out))
        self._days[id(day)] = (day, key)
        return key

    def _encode(self, value: Any, out: list[str]) -> None:
        kind = type(value)
        if kind is ListedPaper:
            out.append(f"L{self.listings[value.key]}{place(value)!r}")
        elif kind is DayPage:
            out.append(f"D{self._day(value)}")
        elif kind is TopicPage:
            out.append("T")
            self._encode((value.slug, value.title, value.description, tuple(value.items)), out)
        elif kind is TopicSlice:
            out.append("S")
            self._encode((value.topic, value.items, value.number, value.archive, value.newest), out)
        elif kind is tuple or kind is list:
            out.append("(" if kind is tuple else "[")
            for item in value:
                if type(item) is ListedPaper:  # the common case, inline
                    out.append(f"L{self.listings[item.key]}{place(item)!r}")
                elif type(item) in _WALKED:
                    self._encode(item, out)
                else:
                    out.append(repr(item))
            out.append(")" if kind is tuple else "]")
        elif kind is dict:
            out.append("{")
            for name, item in value.items():
                out.append(repr(name))
                self._encode(item, out)
            out.append("}")
        else:
            # Anything else goes in whole: correct for any value, only slower for one holding many listed papers.
            out.append(repr(value))


_WALKED = {ListedPaper, DayPage, TopicPage, TopicSlice, tuple, list, dict}
