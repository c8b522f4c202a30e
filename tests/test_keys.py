"""Output keys: a listed paper enters a key as its paper's own part plus its place in the list.

That shortcut is sound only if every listed paper on every page is exactly its
paper's listing with the place fields set; these tests check that on the
bundled content, on every other snapshot format and on a synthetic corpus,
and that a change to anything a page shows changes its key."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import CONTENT, FIXTURES, copy_content, synthetic_corpus
from digest.build import load
from digest.keys import PLACE_FIELDS, OutputKeys, listing_keys, paper_listing, place
from digest.pages import DayPage, ListedPaper, TopicPage, topic_slices


def every_format(folder: Path) -> Path:
    """The bundled content plus the JSON, saved-HTML and crawler fixtures (links, stars, keywords)."""
    content = copy_content(folder)
    for sub in ("json", "html", "crawl"):
        for path in sorted((FIXTURES / sub).iterdir()):
            if path.name[:4].isdigit():  # fixtures named by their list day
                shutil.copyfile(path, content / "snapshots" / f"{path.stem}-{sub}{path.suffix}")
    return content


@pytest.fixture(scope="module", params=["bundled", "every-format", "synthetic"])
def loaded(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param) / "content"
    if request.param == "bundled":
        content = CONTENT
    elif request.param == "every-format":
        content = every_format(folder)
    else:
        content = synthetic_corpus(folder, 40)
    return load(content, warn=lambda message: None)


def listed_items(loaded):
    for day in loaded.days:
        yield from day.items
        yield from day.dropped
    for topic in loaded.topics:
        yield from topic.items


def test_every_listed_paper_is_its_listing_with_a_place(loaded):
    titles = {t.slug: t.title for t in loaded.library.topics}
    count = 0
    for item in listed_items(loaded):
        own = paper_listing(loaded.library.papers[item.key], titles)
        assert replace(own, **dict(zip(PLACE_FIELDS, place(item)))) == item
        count += 1
    assert count > 50


def test_place_fields_are_fields_of_a_listed_paper():
    names = set(ListedPaper.__dataclass_fields__)
    assert set(PLACE_FIELDS) <= names
    # key, slug, path, title, who, published, abstract, topics, arxiv_id: the paper's own
    assert len(names - set(PLACE_FIELDS)) == 9


def test_every_paper_has_a_listing_key(loaded):
    listings = listing_keys(loaded.library)
    assert set(listings) == set(loaded.library.papers)
    assert len(set(listings.values())) == len(listings)  # different papers, different keys


@pytest.fixture(scope="module")
def bundled():
    return load(CONTENT, warn=lambda message: None)


def keys_for(loaded, salt="salt"):
    return OutputKeys(salt, listing_keys(loaded.library))


def test_keys_are_stable_and_salted(bundled):
    day = bundled.days[-1]
    assert keys_for(bundled)("page", day) == keys_for(bundled)("page", day)
    assert keys_for(bundled)("page", day) != keys_for(bundled, "other")("page", day)
    assert keys_for(bundled)("page", day) != keys_for(bundled)("email", day)


def test_remembered_day_gives_the_same_key(bundled):
    fresh, primed = keys_for(bundled), keys_for(bundled)
    primed.remember_days(bundled.days)
    assert [fresh("md", d) for d in bundled.days] == [primed("md", d) for d in bundled.days]


def test_structure_is_part_of_the_key(bundled):
    keys = keys_for(bundled)
    assert keys(("a", "b")) != keys(["a", "b"])
    assert keys({"a": 1}) != keys({"a": 2})
    assert keys({"a": 1}) != keys({"b": 1})
    assert keys([("a",), "b"]) != keys([("a", "b")])


PAPER_CHANGES = {
    "title": "Another title", "abstract": "Another abstract.", "authors": 99, "arxiv_id": "2999.00001",
    "slug": "another-slug", "topics": (),
}


@pytest.mark.parametrize("field, value", sorted(PAPER_CHANGES.items()))
def test_a_paper_change_changes_the_keys_of_pages_listing_it(bundled, field, value):
    day = bundled.days[-1]
    target = day.items[0].key
    changed_library = replace(bundled.library, papers={
        k: (replace(p, **{field: value}) if k == target else p) for k, p in bundled.library.papers.items()})
    before, after = keys_for(bundled), OutputKeys("salt", listing_keys(changed_library))
    # The same day page; only the paper's own listing changed.
    assert before("page", day) != after("page", day)
    assert before("page", day.items) != after("page", day.items)
    other = next(d for d in bundled.days if target not in {i.key for i in (*d.items, *d.dropped)})
    assert before("page", other) == after("page", other)


@pytest.mark.parametrize("field", PLACE_FIELDS)
def test_a_place_change_changes_the_key(bundled, field):
    topic = max(bundled.topics, key=lambda t: len(t.items))
    item = next(i for i in topic.items if i.terms)
    value = {"status": "returning", "terms": ("other",)}.get(field, 12345)
    changed = replace(item, **{field: value})
    keys = keys_for(bundled)
    assert keys("x", item) != keys("x", changed)
    day = bundled.days[-1]
    moved = replace(day, items=(replace(day.items[0], **{field: value}), *day.items[1:]))
    assert keys("x", day) != keys("x", moved)


def test_every_field_of_a_day_or_topic_page_takes_part(bundled):
    keys = keys_for(bundled)
    day = next(d for d in bundled.days if d.dropped and d.previous and d.next)
    topic = bundled.topics[0]
    for name in DayPage.__dataclass_fields__:
        value = getattr(day, name)
        other = value[:-1] if isinstance(value, tuple) else "changed" if isinstance(value, str) else None
        assert keys(replace(day, **{name: other})) != keys(day), name
    for name in TopicPage.__dataclass_fields__:
        value = getattr(topic, name)
        other = value[:-1] if isinstance(value, tuple) else "changed"
        assert keys(replace(topic, **{name: other})) != keys(topic), name


def test_every_field_of_a_topic_slice_takes_part(bundled):
    keys = keys_for(bundled)
    topic = max(bundled.topics, key=lambda t: len(t.items))
    parts = topic_slices(topic, 3)
    assert len(parts) > 2
    assert len({keys(part) for part in parts}) == len(parts)
    part = parts[1]
    assert all(p.archive == 0 for p in parts[1:]) and [p.newest for p in parts] == [False] * (len(parts) - 1) + [True]
    for name, other in {"topic": parts[0].topic, "items": part.items[:-1], "number": 7, "archive": 9,
                        "newest": True}.items():
        assert keys(replace(part, **{name: other})) != keys(part), name


def test_older_archive_pages_keep_their_keys_as_a_topic_grows(bundled):
    keys = keys_for(bundled)
    topic = max(bundled.topics, key=lambda t: len(t.items))
    before, after = replace(topic, items=topic.items[3:]), topic  # three papers trended since
    old, new = topic_slices(before, 5), topic_slices(after, 5)
    assert new[0].archive > old[0].archive  # the archive grew by a page
    full = [n for n in range(1, len(old)) if len(old[n].items) == 5 and not old[n].newest]
    assert full
    for number in full:  # the same papers on the same page number: the same key, made from nothing that grew
        assert new[number].items == old[number].items
        assert keys("markdown", new[number]) == keys("markdown", old[number])
