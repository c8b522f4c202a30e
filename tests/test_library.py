"""Tests of digest.library.build_library and digest.topics.match_topics on the four seeds.

Expected counts were worked out by hand from the seed texts:

* 2025-11-03: 5 cards, all new.
* 2025-12-16: 15 cards; all 5 of Nov 3 are on it again (trending), 10 new.
* 2026-01-07: 9 cards; "Insights into DeepSeek-V3" (rank 1 on Dec 16) and
  "Hardware Acceleration of Neural Graphics" (rank 14 on Dec 16) are trending,
  7 new; 13 of the Dec 16 papers are dropped (all but ranks 1 and 14).
* 2026-01-19: 57 cards; "Hardware Acceleration of Neural Graphics" is trending
  (rank 5 on Jan 7), 7 papers return from Dec 16 (Analyzing Modern NVIDIA GPU
  cores, CUDA-L1, The Fused Kernel Library, Hardware and Software Platform
  Inference, Arctic Long Sequence Training, Adding NVMe SSDs, Z-Image), 49
  are new; 8 of the Jan 7 papers are dropped.

So there are 5 + 10 + 7 + 49 = 71 distinct papers.  Note: no paper is on all
four lists; "Insights into DeepSeek-V3" is on the first three (Nov 3, Dec 16,
Jan 7), not on Jan 19.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slugify import slugify

from digest.config import TopicConfig, TopicRule, load_config, phrase_pattern
from digest.dates import resolve_snapshot_dates
from digest.library import EMPTY, assign_slugs, build_library, extend_library, wanted_slug, moved_papers
from digest.models import NEW, RETURNING, TRENDING, Card, Organization, Snapshot, TopicMatch
from digest.parse import parse_text_snapshot
from digest.topics import match_topics

CONTENT = Path(__file__).resolve().parent.parent / "content"
BUNDLED = ["2025-11-03.txt", "2025-12-16.txt", "2026-01-07.txt", "2026-01-19.txt"]
DAYS = [dt.date(2025, 11, 3), dt.date(2025, 12, 16), dt.date(2026, 1, 7), dt.date(2026, 1, 19)]
TODAY = dt.date(2026, 11, 21)

DEEPSEEK = "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI Architectures"
NEURAL_GRAPHICS = "Hardware Acceleration of Neural Graphics"
RETURNING_JAN_19 = {
    2: "Analyzing Modern NVIDIA GPU cores",
    5: "CUDA-L1: Improving CUDA Optimization via Contrastive Reinforcement Learning",
    7: "The Fused Kernel Library: A C++ API to Develop Highly-Efficient GPU Libraries",
    9: "Hardware and Software Platform Inference",
    12: "Arctic Long Sequence Training: Scalable And Efficient Training For Multi-Million Token Sequences",
    20: "Adding NVMe SSDs to Enable and Accelerate 100B Model Fine-tuning on a Single GPU",
    40: "Z-Image: An Efficient Image Generation Foundation Model with Single-Stream Diffusion Transformer",
}


def load_snapshots() -> list[Snapshot]:
    parsed = [parse_text_snapshot((CONTENT / "snapshots" / name).read_text(encoding="utf-8"), name)
              for name in BUNDLED]
    return resolve_snapshot_dates(parsed, today=TODAY)


@pytest.fixture(scope="module")
def topics():
    return load_config(CONTENT).topics


@pytest.fixture(scope="module")
def snapshots():
    return load_snapshots()


@pytest.fixture(scope="module")
def library(snapshots, topics):
    return build_library(snapshots, topics)


def paper_by_title(library, title):
    found = [p for p in library.papers.values() if p.title == title]
    assert len(found) == 1, title
    return found[0]


def day(library, date):
    [found] = [d for d in library.days if d.date == date]
    return found


# --------------------------------------------------------------------------
# Counts

def test_total_distinct_papers(library):
    assert len(library.papers) == 71
    assert all(key == paper.key for key, paper in library.papers.items())


def test_days_in_order(library):
    assert [d.date for d in library.days] == DAYS
    assert [d.previous for d in library.days] == [None] + DAYS[:-1]
    assert [d.sources for d in library.days] == [(name,) for name in BUNDLED]
    assert [len(d.entries) for d in library.days] == [5, 15, 9, 57]


@pytest.mark.parametrize("date, new, returning, trending, dropped", [
    (DAYS[0], 5, 0, 0, 0),
    (DAYS[1], 10, 0, 5, 0),
    (DAYS[2], 7, 0, 2, 13),
    (DAYS[3], 49, 7, 1, 8),
])
def test_day_counts(library, date, new, returning, trending, dropped):
    d = day(library, date)
    assert d.count(NEW) == new
    assert d.count(RETURNING) == returning
    assert d.count(TRENDING) == trending
    assert len(d.dropped) == dropped


def test_every_paper_is_new_exactly_once(library):
    new_keys = [e.paper for d in library.days for e in d.entries if e.status == NEW]
    assert sorted(new_keys) == sorted(library.papers)


# --------------------------------------------------------------------------
# Individual papers

def test_deepseek_paper_history(library):
    paper = paper_by_title(library, DEEPSEEK)
    assert [a.date for a in paper.appearances] == DAYS[:3]
    assert [a.rank for a in paper.appearances] == [1, 1, 1]
    assert [a.comments for a in paper.appearances] == [5, 5, 5]
    assert [a.source for a in paper.appearances] == BUNDLED[:3]
    assert paper.first_seen == dt.date(2025, 11, 3)
    assert paper.last_seen == dt.date(2026, 1, 7)
    assert paper.best_rank == 1
    assert paper.latest_comments == 5
    assert paper.published == dt.date(2025, 5, 14)
    assert paper.organization == Organization("deepseek-ai", "DeepSeek")
    assert paper.authors is None
    assert paper.key.startswith("title:")
    assert paper.abstract.startswith("The rapid scaling of")
    statuses = [e.status for d in library.days for e in d.entries if e.paper == paper.key]
    assert statuses == [NEW, TRENDING, TRENDING]
    # and it is dropped on Jan 19 with the rank it had on Jan 7
    assert [x.previous_rank for x in day(library, DAYS[3]).dropped if x.paper == paper.key] == [1]


def test_returning_papers_on_jan_19(library):
    d = day(library, DAYS[3])
    returning = {e.rank: library.papers[e.paper].title for e in d.entries if e.status == RETURNING}
    assert returning == RETURNING_JAN_19
    for e in d.entries:
        if e.status == RETURNING:
            assert e.previous_rank is None
            paper = library.papers[e.paper]
            assert [a.date for a in paper.appearances] == [DAYS[1], DAYS[3]]


def test_z_image_changed_comment_count(library):
    paper = paper_by_title(library, RETURNING_JAN_19[40])
    assert [(a.date, a.rank, a.comments) for a in paper.appearances] == [
        (DAYS[1], 6, 4), (DAYS[3], 40, 6)]
    assert paper.latest_comments == 6
    assert paper.published == dt.date(2025, 11, 27)
    assert paper.organization == Organization("Tongyi-MAI", "Tongyi-MAI")


def test_cuda_l1_returning(library):
    paper = paper_by_title(library, RETURNING_JAN_19[5])
    assert [(a.date, a.rank, a.comments) for a in paper.appearances] == [(DAYS[1], 9, 6), (DAYS[3], 5, 6)]
    assert paper.authors == 5
    assert paper.published == dt.date(2025, 7, 18)  # "Jul 18" on a 2025 list, "Jul 18, 2025" on a 2026 list
    assert paper.best_rank == 5


def test_neural_graphics_trending(library):
    paper = paper_by_title(library, NEURAL_GRAPHICS)
    assert [(a.date, a.rank) for a in paper.appearances] == [(DAYS[1], 14), (DAYS[2], 5), (DAYS[3], 4)]
    entries = [(e.status, e.rank, e.previous_rank) for d in library.days for e in d.entries
               if e.paper == paper.key]
    assert entries == [(NEW, 14, None), (TRENDING, 5, 14), (TRENDING, 4, 5)]
    assert paper.published == dt.date(2023, 3, 10)
    assert paper.latest_comments is None


def test_previous_rank_on_dec_16(library):
    d = day(library, DAYS[1])
    trending = {e.rank: e.previous_rank for e in d.entries if e.status == TRENDING}
    # Insights 1->1, Diffusion as Shader 2->2, MiniMax-M1 3->3, Reinforcing 4->5, dInfer 5->8
    assert trending == {1: 1, 2: 2, 3: 3, 5: 4, 8: 5}
    assert all(e.previous_rank is None for e in d.entries if e.status != TRENDING)


def test_dropped_entries_carry_their_rank(library):
    jan7 = day(library, DAYS[2])
    assert [x.previous_rank for x in jan7.dropped] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15]
    titles = {x.previous_rank: library.papers[x.paper].title for x in jan7.dropped}
    assert titles[4].startswith("Predictable Scale: Part I")
    assert titles[15].startswith("Adding NVMe SSDs")
    jan19 = day(library, DAYS[3])
    assert [x.previous_rank for x in jan19.dropped] == [1, 2, 3, 4, 6, 7, 8, 9]
    titles = {x.previous_rank: library.papers[x.paper].title for x in jan19.dropped}
    assert titles[6] == "TransMLA: Multi-head Latent Attention Is All You Need"
    assert day(library, DAYS[0]).dropped == () and day(library, DAYS[1]).dropped == ()


def test_entries_follow_snapshot_order(library, snapshots):
    for d, snapshot in zip(library.days, snapshots):
        assert [e.rank for e in d.entries] == list(range(1, len(snapshot.cards) + 1))
        assert [library.papers[e.paper].title for e in d.entries] == [c.title for c in snapshot.cards]
        assert [e.comments for e in d.entries] == [c.comments for c in snapshot.cards]


def test_published_dates_complete(library):
    no_date = {p.title.split(":")[0] for p in library.papers.values() if p.published is None}
    assert no_date == {"Diffusion as Shader", "dInfer", "VIBE", "Quartet",
                       "Bridging the Gap Between Promise and Performance for Microscaling FP4 Quantization"}


# --------------------------------------------------------------------------
# Identity and merging

def with_json_snapshot(snapshots):
    """The seeds plus a synthetic JSON snapshot of Dec 16 giving arXiv ids to two of its papers."""
    dec16 = snapshots[1]
    insights, minimax = dec16.cards[0], dec16.cards[2]
    assert insights.title == DEEPSEEK
    synthetic = dataclasses.replace(
        dec16, source="2025-12-16.json", format="json",
        cards=(dataclasses.replace(insights, arxiv_id="2505.09343", upvotes=42,
                                   url="https://huggingface.co/papers/2505.09343"),
               dataclasses.replace(minimax, rank=2, arxiv_id="2506.13585")))
    return [*snapshots, synthetic]


def test_title_only_card_joins_arxiv_card(snapshots, topics):
    library = build_library(with_json_snapshot(snapshots), topics)
    assert len(library.papers) == 71
    paper = library.papers["arxiv:2505.09343"]
    assert paper.title == DEEPSEEK
    assert paper.arxiv_id == "2505.09343"
    assert paper.url == "https://huggingface.co/papers/2505.09343"
    assert [a.date for a in paper.appearances] == DAYS[:3]  # text cards of other days join it
    assert not any(k.startswith("title:insights into deepseek") for k in library.papers)
    assert "arxiv:2506.13585" in library.papers
    d = day(library, DAYS[1])
    assert d.sources == ("2025-12-16.json", "2025-12-16.txt")
    keys = [e.paper for e in d.entries]
    assert len(keys) == 15 == len(set(keys))
    ranks = {e.paper: e.rank for e in d.entries}
    # The longer list (the 15-card text dump) leads the ranking; the 2-card JSON adds ids and upvotes.
    assert ranks["arxiv:2505.09343"] == 1 and ranks["arxiv:2506.13585"] == 3
    assert [e.upvotes for e in d.entries if e.paper == "arxiv:2505.09343"] == [42]
    assert library.papers["arxiv:2506.13585"].arxiv_id == "2506.13585"
    # status is computed on the merged identity
    assert [e.status for e in d.entries if e.paper == "arxiv:2505.09343"] == [TRENDING]


def test_a_papers_page_is_named_on_the_day_it_is_first_seen(snapshots, topics):
    """By its arXiv id if that day shows it, else by its title; an id that comes later does not
    move the page (links in e-mails already sent, feed ids)."""
    # The DeepSeek and MiniMax papers are first seen in text dumps; the Dec 16 JSON gives their ids.
    library = build_library(with_json_snapshot(snapshots), topics)
    for key in ("arxiv:2505.09343", "arxiv:2506.13585"):
        paper = library.papers[key]
        assert paper.arxiv_id == key.removeprefix("arxiv:")
        assert paper.slug == slugify(paper.title, max_length=80, word_boundary=True)
    nov3 = snapshots[0]
    deepseek = next(card for card in nov3.cards if card.title == DEEPSEEK)
    shown_with_id = dataclasses.replace(nov3, source="2025-11-03.json", format="json",
                                        cards=(dataclasses.replace(deepseek, arxiv_id="2505.09343"),))
    library = build_library([shown_with_id, *with_json_snapshot(snapshots)], topics)
    assert library.papers["arxiv:2505.09343"].slug == "2505.09343"
    # Built day by day, as daily builds do, the names are the same.
    days = with_json_snapshot(snapshots)
    state = EMPTY
    for date in DAYS:
        state = extend_library(state, [s for s in days if s.date == date], topics)
        if state is None:  # an id joined earlier cards: made again from every snapshot, as a build does
            state = extend_library(EMPTY, [s for s in days if s.date <= date], topics)
        state = state.state
    assert {k: p.slug for k, p in state.library.papers.items()} == \
        {k: p.slug for k, p in build_library(days, topics).papers.items()}


def test_a_hashed_page_name_stays_when_an_arxiv_id_comes_later(topics):
    """Of two papers whose titles cut to one slug, the later one's page is "<slug>-<hash>": the
    hash is of what the paper was when first seen, not of the key an id gives it later."""
    long = "A Very Long Title About Scaling Large Language Models For Reasoning And Planning In Many Domains"

    def snapshot(date, fmt, title, arxiv_id=None):
        card = Card(rank=1, title=title, abstract="We study it.", arxiv_id=arxiv_id)
        return Snapshot(f"{date.isoformat()}.{fmt}", fmt, date, "filename", (card,))

    days = [snapshot(dt.date(2026, 1, 5), "txt", f"{long} Part One"),
            snapshot(dt.date(2026, 1, 6), "txt", f"{long} Part Two")]
    before = {p.title: p.slug for p in build_library(days, topics).papers.values()}
    later = snapshot(dt.date(2026, 1, 7), "json", f"{long} Part Two", "2601.00002")
    after = {p.title: p.slug for p in build_library([*days, later], topics).papers.values()}
    assert after == before and before[f"{long} Part Two"].endswith(tuple("0123456789abcdef"))
    assert len(set(before.values())) == 2


def test_two_snapshots_of_same_day_are_merged(snapshots, topics):
    jan7 = snapshots[2]
    extra = dataclasses.replace(jan7.cards[0], title="A Paper Only The Evening Capture Shows", rank=10)
    evening = dataclasses.replace(jan7, source="captures/2026-01-07-evening.txt",
                                  cards=tuple(reversed(jan7.cards)) + (extra,))
    library = build_library([*snapshots, evening], topics)
    assert [d.date for d in library.days] == DAYS
    d = day(library, DAYS[2])
    assert d.sources == ("2026-01-07-evening.txt", "2026-01-07.txt")
    keys = [e.paper for e in d.entries]
    assert len(keys) == 10 == len(set(keys))
    assert sorted(e.rank for e in d.entries) == list(range(1, 11))
    assert len(library.papers) == 72
    for paper in library.papers.values():
        dates = [a.date for a in paper.appearances]
        assert dates == sorted(set(dates)), paper.title
    assert d.count(NEW) == 8 and d.count(TRENDING) == 2
    assert len(day(library, DAYS[3]).dropped) == 9


def test_of_two_lists_of_one_day_as_long_the_richer_format_ranks_then_the_first_by_name(snapshots, topics):
    """As the README says: of two lists as long, API JSON's, then a saved page's, then a text
    dump's order ranks the day; of one format, the first file's by name."""
    jan7 = snapshots[2]
    backwards = tuple(reversed(jan7.cards))

    def ranked(*captures):
        library = build_library([*snapshots[:2], *captures], topics)
        return [library.papers[e.paper].title for e in sorted(day(library, DAYS[2]).entries, key=lambda e: e.rank)]

    forwards_titles = [c.title for c in jan7.cards]
    a_text = dataclasses.replace(jan7, source="2026-01-07-a.txt")
    b_text = dataclasses.replace(jan7, source="2026-01-07-b.txt", cards=backwards)
    assert ranked(b_text, a_text) == forwards_titles
    for kind in ("json", "html"):
        b_richer = dataclasses.replace(jan7, source=f"2026-01-07-b.{kind}", format=kind, cards=backwards)
        assert ranked(a_text, b_richer) == forwards_titles[::-1]
    b_json = dataclasses.replace(jan7, source="2026-01-07-b.json", format="json", cards=backwards)
    a_html = dataclasses.replace(jan7, source="2026-01-07-a.html", format="html")
    assert ranked(a_html, b_json) == forwards_titles[::-1]


def test_slugs_unique_and_url_safe(library):
    slugs = [p.slug for p in library.papers.values()]
    assert len(set(slugs)) == len(slugs) == 71
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9]+(?:[-.][a-z0-9]+)*", slug), slug
        assert len(slug) <= 90
    assert paper_by_title(library, NEURAL_GRAPHICS).slug == "hardware-acceleration-of-neural-graphics"


def test_slug_collision_gets_hash(snapshots, topics):
    dec16 = snapshots[1]
    base = dec16.cards[13]
    twin = dataclasses.replace(base, title="Hardware acceleration of neural-graphics!?")
    # normalise_title makes this the same paper, so there is no second slug
    library = build_library([dataclasses.replace(dec16, cards=dec16.cards + (twin,))], topics)
    assert len(library.papers) == 15
    # two different long titles whose slugs are cut (at 80 characters) to the same text
    prefix = "Hardware Acceleration of Neural Graphics on Mobile and Desktop GPUs with Many Cores"
    assert len(prefix) > 80
    one = dataclasses.replace(base, title=prefix + ": Part One")
    two = dataclasses.replace(base, title=prefix + ": Part Two")
    library = build_library([dataclasses.replace(dec16, cards=dec16.cards + (one, two))], topics)
    assert len(library.papers) == 17
    slugs = [p.slug for p in library.papers.values()]
    assert len(set(slugs)) == 17
    # the first seen (ranked first) keeps the slug, the other gets a hash of its identity
    first, second = paper_by_title(library, one.title).slug, paper_by_title(library, two.title).slug
    assert re.fullmatch(r"hardware-acceleration-of-neural-graphics-on-[a-z0-9-]+", first), first
    assert second == f"{first}-{_sha1(paper_by_title(library, two.title).key)[:6]}"
    # the paper whose slug does not collide keeps its plain slug
    assert paper_by_title(library, NEURAL_GRAPHICS).slug == "hardware-acceleration-of-neural-graphics"



def test_titles_that_differ_by_a_language_name_are_two_papers(snapshots, topics):
    """"C++" and "C#" name languages: dropping their signs would make "C Kernels" the same paper."""
    dec16 = snapshots[1]
    base = dec16.cards[13]
    titles = ["Fast C Kernels", "Fast C++ Kernels", "Fast C# Kernels", "fast  c++ kernels!"]
    cards = tuple(dataclasses.replace(base, title=t, rank=20 + i) for i, t in enumerate(titles))
    library = build_library([dataclasses.replace(dec16, cards=dec16.cards + cards)], topics)
    assert len(library.papers) == 15 + 3  # the last differs from the second by case, spacing and "!"
    found = {p.title for p in library.papers.values()}
    assert set(titles[:3]) <= found
    slugs = [p.slug for p in library.papers.values()]
    assert len(set(slugs)) == len(slugs)
    # a "+" between words is punctuation, as before
    plus = dataclasses.replace(base, title="Hardware Acceleration of Neural+Graphics", rank=30)
    library = build_library([dataclasses.replace(dec16, cards=dec16.cards + (plus,))], topics)
    assert len(library.papers) == 15

def _sha1(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()


def test_a_title_that_slugifies_to_a_hashed_slug_keeps_it_and_the_hashed_one_gets_longer(topics):
    """"Foo α" and "Foo a" both want foo-a: the first seen keeps it and "Foo a" gets a hash;
    "Foo a 5d937b" wants that hashed slug.  Its wanted slug is its own alone, so it keeps it;
    the hash gets longer."""
    text = "Daily Papers\n\nJan 20\n\nFoo α\n\nAbstract one.\n\nFoo a\n\nAbstract two.\n\n" \
           "Foo a 5d937b\n\nAbstract three.\n"
    snapshots = resolve_snapshot_dates([parse_text_snapshot(text, "2026-01-20.txt")], today=TODAY)
    library = build_library(snapshots, topics)
    slugs = {key: paper.slug for key, paper in library.papers.items()}
    assert _sha1("title:foo a").startswith("5d937b")
    assert len(set(slugs.values())) == len(slugs) == 3
    assert slugs["title:foo α"] == "foo-a"
    assert slugs["title:foo a 5d937b"] == "foo-a-5d937b"
    assert slugs["title:foo a"].startswith("foo-a-5d937b") and len(slugs["title:foo a"]) > len("foo-a-5d937b")


def test_a_hashed_slug_gets_longer_than_the_whole_sha1_when_every_prefix_is_wanted():
    one, two = "title:foo α", "title:foo a"
    wanted = {one: "foo-a", two: "foo-a"}
    wanted.update((f"title:taken {n}", f"foo-a-{_sha1(two)[:n]}") for n in range(6, 41))
    slugs = assign_slugs(wanted)
    assert len(set(slugs.values())) == len(slugs)
    assert all(slugs[k] == slug for k, slug in wanted.items() if k.startswith("title:taken"))
    assert slugs[one] == "foo-a"  # seen first
    assert slugs[two].startswith(f"foo-a-{_sha1(two)}") and len(slugs[two]) > len(f"foo-a-{_sha1(two)}")


@st.composite
def colliding_wanted_slugs(draw):
    """Wanted slugs with many clashes: a few plain slugs, and hashed slugs of other keys (as
    ``assign_slugs`` makes them, or longer) that some keys want too."""
    keys = draw(st.lists(st.text(alphabet="ab1", min_size=1, max_size=4), min_size=1, max_size=12, unique=True))
    plain = st.sampled_from(["foo", "foo-a", "a", "paper"])
    wanted: dict[str, str] = {}
    for key in keys:
        if wanted and draw(st.booleans()):
            other = draw(st.sampled_from(keys))
            base = draw(st.one_of(plain, st.sampled_from(sorted(set(wanted.values())))))
            wanted[key] = f"{base}-{_sha1(other)[:draw(st.sampled_from([6, 6, 7, 8, 40]))]}"
        else:
            wanted[key] = draw(plain)
    return wanted


@settings(max_examples=500, deadline=None)
@given(colliding_wanted_slugs())
def test_assigned_slugs_are_unique_and_the_first_to_want_a_slug_keeps_it(wanted):
    slugs = assign_slugs(wanted)
    assert list(slugs) == list(wanted)
    assert len(set(slugs.values())) == len(slugs)
    first = {}
    for key, slug in wanted.items():
        first.setdefault(slug, key)
    for key, slug in wanted.items():
        if first[slug] == key:  # seen first: its page keeps its address whoever comes later
            assert slugs[key] == slug
        else:  # a hash of the key, at least as long as usual
            assert re.fullmatch(re.escape(slug) + r"-[0-9a-f]{6,}", slugs[key])
            assert _sha1(key)[:6] == slugs[key][len(slug) + 1:][:6]


# --------------------------------------------------------------------------
# Topics

def rule(phrase: str, weight: float = 1.0) -> TopicRule:
    return TopicRule(phrase, phrase_pattern(phrase), weight)


GPU = TopicConfig("gpu", "GPU", "", rules=(rule("kernel"), rule("gpu", 2.0)), min_score=2.0)
MOE = TopicConfig("moe", "MoE", "", rules=(rule("mixture of experts", 3.0),), min_score=1.0)


def test_title_match_counts_twice_the_weight():
    assert match_topics("Fast GPU kernels", "nothing here", [GPU, MOE]) == (
        TopicMatch("gpu", 6.0, ("kernels", "gpu")),)
    # found in the title: counted once, at twice the weight, even if the abstract has it too
    # terms are listed in rule order
    assert match_topics("GPU", "GPU GPU kernel", [GPU]) == (TopicMatch("gpu", 5.0, ("kernel", "gpu")),)


def test_abstract_match_counts_once():
    assert match_topics("Something", "We wrote a GPU kernel.", [GPU]) == (
        TopicMatch("gpu", 3.0, ("kernel", "gpu")),)


def test_min_score():
    assert match_topics("Something", "A kernel.", [GPU]) == ()
    assert match_topics("A kernel", "", [GPU]) == (TopicMatch("gpu", 2.0, ("kernel",)),)
    assert match_topics("Nothing", "Nothing either.", [GPU, MOE]) == ()


def test_best_first_then_topics_order():
    result = match_topics("Mixture-of-Experts", "runs on a GPU", [GPU, MOE])
    assert [(m.topic, m.score) for m in result] == [("moe", 6.0), ("gpu", 2.0)]
    assert result[0].terms == ("mixture-of-experts",)
    tie = TopicConfig("tie", "Tie", "", rules=(rule("gpu", 1.0),), min_score=1.0)
    result = match_topics("x", "gpu and a kernel", [tie, TopicConfig("tie2", "T", "", (rule("kernel"),))])
    assert [m.topic for m in result] == ["tie", "tie2"]
    result = match_topics("x", "gpu and a kernel", [TopicConfig("tie2", "T", "", (rule("kernel"),)), tie])
    assert [m.topic for m in result] == ["tie2", "tie"]


def test_same_term_from_two_rules_reported_once():
    topic = TopicConfig("t", "T", "", rules=(
        rule("gpu"), TopicRule("/GPUs?/", re.compile(r"\bGPUs?\b", re.IGNORECASE), 1.0)))
    assert match_topics("x", "a GPU", [topic]) == (TopicMatch("t", 2.0, ("gpu",)),)


def test_every_seed_paper_has_a_topic(library):
    without = [p.title for p in library.papers.values() if not p.topics]
    assert without == []
    assert "other" not in [t.slug for t in library.topics]


def test_topics_in_config_order_and_consistent(library, topics):
    assert [t.slug for t in library.topics] == [t.slug for t in topics]
    for topic in library.topics:
        for key in topic.papers:
            assert topic.slug in [m.topic for m in library.papers[key].topics]
    for paper in library.papers.values():
        scores = [m.score for m in paper.topics]
        assert scores == sorted(scores, reverse=True)
        for match in paper.topics:
            assert paper.key in next(t for t in library.topics if t.slug == match.topic).papers


def test_the_longest_list_of_a_day_leads_and_the_richest_card_fills_in(snapshots, topics):
    jan19 = snapshots[3]
    puzzle = jan19.cards[0]
    api = dataclasses.replace(jan19, source="2026-01-19.json", format="json", cards=(
        dataclasses.replace(jan19.cards[5], rank=1, arxiv_id="2506.12345", upvotes=30, comments=None),
        dataclasses.replace(puzzle, rank=2, arxiv_id="2411.19146", upvotes=18, author_names=("A. B.",)),
    ))
    library = build_library([*snapshots, api], topics)
    d = day(library, DAYS[3])
    assert [e.rank for e in d.entries] == list(range(1, 58))
    assert d.entries[0].paper == "arxiv:2411.19146" and d.entries[0].upvotes == 18
    sixth = d.entries[5]
    assert sixth.paper == "arxiv:2506.12345" and sixth.upvotes == 30
    assert sixth.comments == jan19.cards[5].comments  # the text card's count fills the JSON's gap
    paper = library.papers["arxiv:2411.19146"]
    assert paper.author_names == ("A. B.",) and paper.arxiv_id == "2411.19146"
    assert paper.appearances[-1].upvotes == 18


def test_the_longest_list_counts_papers_not_cards(snapshots, topics):
    """A list that shows some cards twice is as long as its papers: the other list leads."""
    jan19 = snapshots[3]
    text = dataclasses.replace(jan19, cards=(*jan19.cards[:3], *jan19.cards[:3]))  # 6 cards, 3 papers
    api = dataclasses.replace(jan19, source="2026-01-19.json", format="json", cards=tuple(
        dataclasses.replace(card, rank=n) for n, card in enumerate(reversed(jan19.cards[:4]), 1)))
    for ordered in ([text, api], [api, text]):
        library = build_library([*snapshots[:3], *ordered], topics)
        listed = [library.papers[entry.paper].title for entry in day(library, DAYS[3]).entries]
        assert listed == [card.title for card in reversed(jan19.cards[:4])]


def _match_by_patterns_alone(title, abstract, topics, keywords=None):
    """match_topics as its rules define it: each rule's own pattern, nothing else."""
    if keywords:
        abstract = f"{abstract} {'; '.join(keywords)}"
    matches = []
    for order, topic in enumerate(topics):
        score, terms = 0.0, []
        for rule in topic.rules:
            needle_in = lambda text: not rule.needle or rule.needle in text.lower()
            found, factor = (rule.pattern.search(title) if needle_in(title) else None), 2.0
            if found is None:
                found, factor = (rule.pattern.search(abstract) if needle_in(abstract) else None), 1.0
            if found is not None:
                score += rule.weight * factor
                terms.append(found.group(0).lower()) if found.group(0).lower() not in terms else None
        if terms and score >= topic.min_score:
            matches.append((-score, order, TopicMatch(topic.slug, score, tuple(terms))))
    return tuple(m for _, _, m in sorted(matches, key=lambda m: (m[0], m[1])))


def test_topic_matching_is_what_the_rule_patterns_find(library):
    """The fast path for ASCII text changes nothing: the bundled rules on every seed paper, also
    with its text shouted, hyphenated and made non-ASCII, give what the rules' own patterns give."""
    topics = load_config(CONTENT).topics
    checked = 0
    for paper in library.papers.values():
        variants = [(paper.title, paper.abstract), (paper.title.upper(), paper.abstract.upper()),
                    (paper.title.replace(" ", "-"), paper.abstract.replace(" ", "\n")),
                    (paper.title + " naïve", paper.abstract.replace("e", "é", 3))]
        for title, abstract in variants:
            assert match_topics(title, abstract, topics) == _match_by_patterns_alone(title, abstract, topics)
            checked += bool(match_topics(title, abstract, topics))
    assert checked > 100


# --------------------------------------------------------------------------
# Extending a library by new days (what a day's rebuild of a long archive does)

def _days_of(snapshots):
    by_date = {}
    for snapshot in snapshots:
        by_date.setdefault(snapshot.date, []).append(snapshot)
    return [by_date[date] for date in sorted(by_date)]


def _as_built(library):
    return tuple(library.days), list(library.papers.items()), library.topics


def _every_format(folder: Path) -> Path:
    fixtures = Path(__file__).resolve().parent / "fixtures"
    (folder / "snapshots").mkdir(parents=True)
    for path in (CONTENT / "snapshots").iterdir():
        (folder / "snapshots" / path.name).write_bytes(path.read_bytes())
    for sub in ("json", "html", "crawl"):
        for path in sorted((fixtures / sub).iterdir()):
            if path.name[:4].isdigit():
                (folder / "snapshots" / f"{path.stem}-{sub}{path.suffix}").write_bytes(path.read_bytes())
    return folder


@pytest.mark.parametrize("corpus", ["seeds", "every-format", "synthetic"])
def test_a_library_extended_day_by_day_is_the_library_built_at_once(corpus, topics, tmp_path):
    from conftest import synthetic_corpus
    from digest.build import load_snapshots as load_folder

    folder = {"seeds": CONTENT, "every-format": _every_format(tmp_path / "content") if corpus == "every-format"
              else None, "synthetic": synthetic_corpus(tmp_path / "content", 30) if corpus == "synthetic"
              else None}[corpus]
    snapshots = load_folder(folder, TODAY, lambda message: None)
    whole = build_library(snapshots, topics)
    state, changed, so_far, refused = EMPTY, [], [], 0
    for day in _days_of(snapshots):
        so_far += day
        extension = extend_library(state, day, topics)
        if extension is None:  # as a build does: make it again from every snapshot
            refused += 1
            extension = extend_library(EMPTY, so_far, topics)
        state = extension.state
        changed.append(extension.papers)
    assert _as_built(state.library) == _as_built(whole)
    # Text dumps never re-key earlier cards; the HTML of Dec 16 gives ids to titles seen on Nov 3.
    assert refused == (1 if corpus == "every-format" else 0)
    # Only the papers of the new day (and any renamed) change; the last day's papers among them.
    assert {e.paper for e in whole.days[-1].entries} <= changed[-1]
    assert len(changed[-1]) < len(whole.papers) or len(whole.days) == 1


def test_extending_by_a_day_that_is_not_after_the_last_is_refused(snapshots, topics):
    state = extend_library(EMPTY, snapshots[1:], topics).state
    assert extend_library(state, snapshots[:1], topics) is None  # Nov 3 comes before Dec 16
    assert extend_library(state, snapshots[-1:], topics) is None  # Jan 19 is there already


def test_an_arxiv_id_for_an_earlier_title_only_paper_is_refused(snapshots, topics):
    """A JSON snapshot that gives an id to a title seen before on text cards joins those cards to
    the id: earlier days change, so the library must be built again."""
    nov3, dec16, jan7, jan19 = snapshots
    state = extend_library(EMPTY, [nov3, dec16], topics).state
    later = dataclasses.replace(jan7, cards=(dataclasses.replace(jan7.cards[0], arxiv_id="2505.09343"),
                                             *jan7.cards[1:]))
    assert later.cards[0].title == DEEPSEEK  # also on Nov 3 and Dec 16, without an id
    assert extend_library(state, [later], topics) is None
    library = build_library([nov3, dec16, later], topics)
    assert [a.date for a in library.papers["arxiv:2505.09343"].appearances] == DAYS[:3]


def test_a_second_arxiv_id_for_a_title_leaves_the_first_paper_its_cards_and_page(snapshots, topics):
    """Nov 3 shows the paper without an id, Dec 16 with one: one paper, whose page is named by its
    title.  A later paper of the same title with another id is a paper of its own: the first keeps
    its days, its page and its history, and the days already published do not change."""
    nov3, dec16, jan7, jan19 = snapshots
    assert dec16.cards[0].title == DEEPSEEK and nov3.cards[0].title == DEEPSEEK
    first = dataclasses.replace(dec16, cards=(dataclasses.replace(dec16.cards[0], arxiv_id="2505.09343"),
                                              *dec16.cards[1:]))
    state = extend_library(EMPTY, [nov3, first], topics).state
    before = state.library.papers["arxiv:2505.09343"]
    other = dataclasses.replace(jan7, cards=(dataclasses.replace(jan7.cards[0], arxiv_id="2599.00001"),
                                             *jan7.cards[1:]))
    extension = extend_library(state, [other], topics)
    assert extension is not None
    whole = build_library([nov3, first, other], topics)
    assert _as_built(extension.state.library) == _as_built(whole)
    paper = whole.papers["arxiv:2505.09343"]
    assert paper.slug == before.slug == "insights-into-deepseek-v3-scaling-challenges-and-reflections-on-hardware-for-ai"
    assert [a.date for a in paper.appearances] == DAYS[:2]
    assert not any(key.startswith("title:insights into deepseek") for key in whole.papers)
    assert [a.date for a in whole.papers["arxiv:2599.00001"].appearances] == DAYS[2:3]
    assert whole.days[:2] == state.library.days[:2]
    same = dataclasses.replace(jan7, cards=(dataclasses.replace(jan7.cards[0], arxiv_id="2505.09343"),
                                            *jan7.cards[1:]))
    extension = extend_library(state, [same], topics)
    assert extension is not None
    assert _as_built(extension.state.library) == _as_built(build_library([nov3, first, same], topics))
    # a card without an id on a later day is taken for the paper of that title seen last before it
    later = build_library([nov3, first, other, dataclasses.replace(jan19, cards=(nov3.cards[0],))], topics)
    assert [a.date for a in later.papers["arxiv:2599.00001"].appearances] == DAYS[2:]
    assert [a.date for a in later.papers["arxiv:2505.09343"].appearances] == DAYS[:2]


def test_a_title_only_card_is_the_paper_its_days_other_snapshot_gives_an_id(snapshots, topics):
    """Two papers of one title, on two days, the second day also as a text dump: its text card is
    the second paper (the API answer of that day lists it), not the first, whose abstract it took."""
    nov3, dec16, jan7, jan19 = snapshots
    base = dec16.cards[0]
    one = dataclasses.replace(dec16, source="2025-12-16.json", format="json", cards=(
        dataclasses.replace(base, title="Foo: A Study", abstract="The first paper.", arxiv_id="2601.00001", rank=1),))
    two = dataclasses.replace(jan7, source="2026-01-07.json", format="json", cards=(
        dataclasses.replace(base, title="Foo: A Study", abstract="The second paper.", arxiv_id="2601.00002",
                            rank=1),))
    text = dataclasses.replace(jan7, cards=(dataclasses.replace(base, title="Foo: A Study", abstract="The second "
                                                                "paper.", arxiv_id=None, rank=1),))
    library = build_library([one, two, text], topics)
    assert set(library.papers) == {"arxiv:2601.00001", "arxiv:2601.00002"}
    assert library.papers["arxiv:2601.00001"].abstract == "The first paper."
    assert [a.date for a in library.papers["arxiv:2601.00002"].appearances] == [DAYS[2]]
    assert [e.paper for e in library.days[-1].entries] == ["arxiv:2601.00002"]
    # the same, a day at a time
    state = extend_library(EMPTY, [one], topics).state
    assert _as_built(extend_library(state, [two, text], topics).state.library) == _as_built(library)
    # a text card of a day between two papers' days: the paper seen last before it
    between = dataclasses.replace(text, date=DAYS[1] + dt.timedelta(days=1))
    library = build_library([one, between, two], topics)
    assert [a.date for a in library.papers["arxiv:2601.00001"].appearances] == [DAYS[1], between.date]


def test_a_new_paper_whose_slug_collides_leaves_the_older_one_its_address(snapshots, topics):
    """Two long titles cut to the same slug: the paper seen before keeps its page's address
    (links to it were published), and the new one gets a hash."""
    nov3, dec16, jan7, jan19 = snapshots
    prefix = "Hardware Acceleration of Neural Graphics on Mobile and Desktop GPUs with Many Cores"
    one = dataclasses.replace(dec16.cards[13], title=prefix + ": Part One", rank=len(dec16.cards) + 1)
    two = dataclasses.replace(dec16.cards[13], title=prefix + ": Part Two", rank=len(jan7.cards) + 1)
    dec16, jan7 = (dataclasses.replace(dec16, cards=(*dec16.cards, one)),
                   dataclasses.replace(jan7, cards=(*jan7.cards, two)))
    state = extend_library(EMPTY, [nov3, dec16], topics).state
    older = paper_by_title(state.library, one.title)
    extension = extend_library(state, [jan7], topics)
    assert extension is not None
    assert _as_built(extension.state.library) == _as_built(build_library([nov3, dec16, jan7], topics))
    assert extension.state.library.papers[older.key].slug == older.slug and older.key not in extension.papers
    newer = paper_by_title(extension.state.library, two.title)
    assert newer.slug == f"{older.slug}-{_sha1(newer.key)[:6]}"


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.from_regex(r"\A\d{4}\.\d{4,5}(v\d+)?\Z"), st.from_regex(r"\A[a-z][a-z.\-]*/\d{7}\Z"),
                 st.text(alphabet="0123456789abz.-/_ AÉ", min_size=1, max_size=12)))
def test_an_arxiv_papers_slug_is_what_slugify_makes_of_its_id(identifier):
    """Plain ids skip slugify, whose answer for them is the id itself."""
    assert wanted_slug(f"arxiv:{identifier}", "any title") == slugify(identifier, lowercase=True,
                                                                      regex_pattern=r"[^-a-z0-9.]+")


@pytest.mark.parametrize("title, slug", [
    # cut at a word's end, as before
    ("Hardware Acceleration of Neural Graphics on Mobile and Desktop GPUs with Many Cores: Part One",
     "hardware-acceleration-of-neural-graphics-on-mobile-and-desktop-gpus-with-many"),
    # slugify leaves out a word too long to fit and goes on: a published address, kept
    ("HPCTransCompile: An AI Compiler Generated Dataset for High-Performance CUDA Transpilation and LLM "
     "Preliminary Exploration",
     "hpctranscompile-an-ai-compiler-generated-dataset-for-high-performance-cuda-and"),
    # a first word longer than the limit is cut, not left out ("a-study" said nothing of the title)
    ("Supercalifragilisticexpialidocious" * 4 + ": a study", ("supercalifragilisticexpialidocious" * 3)[:80]),
    # a long word after a short one: not "a"
    ("A " + "x" * 100, "a-" + "x" * 78),
    ("A study of " + "y" * 79, "a-study-of-" + "y" * 69),
    ("Short", "short"),
    ("???", "paper"),
])
def test_a_long_title_is_cut_to_a_slug_that_keeps_most_of_it(title, slug):
    assert wanted_slug("", title) == slug
    assert len(slug) <= 80


def test_a_paper_with_an_id_whose_page_has_another_name_gets_its_ids_address_if_free():
    slugs = {"arxiv:2506.00001": "scaling-laws-for-foo",  # first seen without its id: named by its title
             "arxiv:2506.00002": "2506.00002",  # named by its id: nothing moved
             "title:a paper": "a-paper",  # no id: no address by it
             "arxiv:2506.00003": "bar", "arxiv:hep-th/9901001": "old-style",
             "title:hep-th-9901001": "hep-th-9901001"}  # a title that takes the old-style id's page name
    assert moved_papers(slugs) == {"arxiv:2506.00001": "2506.00001", "arxiv:2506.00003": "2506.00003"}
    assert moved_papers({}) == {}
