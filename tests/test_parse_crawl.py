"""Tests of the crawler-dump (Markdown) parser.

The fixtures in tests/fixtures/crawl/ were written by hand in the shape jina
reader, Firecrawl and "copy as Markdown" extensions give the Daily Papers
page; their titles and abstracts are those of content/snapshots/2025-12-16.txt
and their arXiv ids those of the real papers.  Every expected value below was
read from the fixture files (``grep -n``), not copied from the parser's output.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import run_cli
from digest.errors import SnapshotError
from digest.models import Organization, PartialDate
from digest.parse import decode_snapshot, parse_snapshot, parse_text_snapshot
from digest.parse.api import looks_like_json
from digest.parse.crawl import _ESCAPABLE, _matching_brackets, inline, looks_like_crawler_dump, parse_crawler_dump

HERE = Path(__file__).resolve().parent
CRAWL = HERE / "fixtures" / "crawl"
SNAPSHOTS = HERE.parent / "content" / "snapshots"
SEEDS = sorted(p.name for p in SNAPSHOTS.glob("*.txt"))
FIXTURES = ["2025-12-16.md", "reference-links.md", "trending.md"]
HUB = "https://huggingface.co/papers/"


def fixture_text(name: str) -> str:
    return decode_snapshot((CRAWL / name).read_bytes(), name)


def parse_fixture(name: str):
    return parse_crawler_dump(fixture_text(name), name)


def seed_cards() -> dict[str, object]:
    text = (SNAPSHOTS / "2025-12-16.txt").read_text(encoding="utf-8")
    return {c.title: c for c in parse_text_snapshot(text, "2025-12-16.txt").cards}


def card(title: str, abstract: str = "Abstract.", extra: str = "") -> str:
    return f"### [{title}](/papers/2506.13585)\n\n{abstract}\n\n{extra}\n"


# --------------------------------------------------------------------------
# Recognition

@pytest.mark.parametrize("name", FIXTURES)
def test_fixtures_look_like_crawler_dumps(name):
    assert looks_like_crawler_dump(fixture_text(name))


@pytest.mark.parametrize("name", SEEDS)
def test_plain_text_seeds_are_not_crawler_dumps(name):
    assert len(SEEDS) == 4
    assert not looks_like_crawler_dump((SNAPSHOTS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", [
    '[{"paper": {"id": "2506.13585", "title": "see [x](/papers/2506.13585)"}}]',
    '  [\n  {"title": "### [x](/papers/1)"}]',
    '{"dailyPapers": [{"title": "### [x](/papers/2506.13585)"}]}',
    "[]",
    '<!DOCTYPE html><html><body><h3><a href="/papers/2506.13585">x</a></h3> ](/papers/2506.13585)',
    "<html>\n### [x](/papers/2506.13585)",
    "",
    "Daily Papers\n\nDec 16\n\nTitle\n\nAbstract",
])
def test_json_html_and_plain_text_are_not_crawler_dumps(text):
    assert not looks_like_crawler_dump(text)


@pytest.mark.parametrize("text", [
    "### [Title](/papers/2506.13585)\n",
    "#### [Title](https://huggingface.co/papers/2506.13585)\n",
    "see [Title](https://huggingface.co/papers/2506.13585)",
    "### [Title][1]\n\n[1]: https://huggingface.co/papers/2506.13585\n",
    "[Hugging Face](https://huggingface.co/)\n\n### [Title](/papers/2506.13585)\n",
    "[![logo](https://huggingface.co/logo.svg)](https://huggingface.co/)\n[Title](/papers/2506.13585)",
])
def test_markdown_markers_are_recognised(text):
    assert looks_like_crawler_dump(text)


@pytest.mark.parametrize("name", FIXTURES)
def test_parse_snapshot_picks_the_crawler_parser_for_the_fixtures(name):
    parsed = parse_snapshot(fixture_text(name), name)
    assert parsed.format == "text"
    assert all(c.arxiv_id and c.url == HUB + c.arxiv_id for c in parsed.cards)  # the text parser has no ids


@pytest.mark.parametrize("name", SEEDS)
def test_parse_snapshot_keeps_the_plain_text_parser_for_the_seeds(name):
    text = (SNAPSHOTS / name).read_text(encoding="utf-8")
    parsed = parse_snapshot(text, name)
    assert parsed == parse_text_snapshot(text, name)
    assert all(c.arxiv_id is None and c.upvotes is None for c in parsed.cards)


# Markdown "copy" of the page from its very top: the first character is '['.
LOGO_FIRST = ("[Hugging Face](https://huggingface.co/)\n\nDaily Papers\n\nJun 17\n\n"
              + card("MiniMax-M1", "We introduce MiniMax-M1.", "· 127 authors\n·\nJun 16"))


def test_dump_starting_with_a_navigation_link_is_a_crawler_dump():
    assert looks_like_crawler_dump(LOGO_FIRST)
    parsed = parse_crawler_dump(LOGO_FIRST, "x.md")
    assert [(c.title, c.authors) for c in parsed.cards] == [("MiniMax-M1", 127)]


def test_an_author_count_grouped_by_thousands_is_read():
    parsed = parse_crawler_dump(LOGO_FIRST.replace("· 127 authors", "· 1,127 authors"), "x.md")
    assert [(c.title, c.authors) for c in parsed.cards] == [("MiniMax-M1", 1127)]


@pytest.mark.parametrize("start", [
    "[Hugging Face](https://huggingface.co/)",
    "[![Hugging Face's logo](https://huggingface.co/logo.svg) Hugging Face](https://huggingface.co/)",
    "[![Image 1][1] Hugging Face][2]",  # reference-links.md opens like this
])
def test_json_heuristic_leaves_markdown_starting_with_a_link(start):
    """The JSON parser is tried first and claims text starting with '[': it must not take these."""
    text = start + LOGO_FIRST[LOGO_FIRST.index("\n"):] + "\n[1]: https://x/logo.svg\n[2]: https://huggingface.co/\n"
    assert not looks_like_json(text)
    assert parse_snapshot(text, "x.md").cards[0].title == "MiniMax-M1"


EMPTY_LINK_FIRST = "[](https://huggingface.co/papers/date/2025-06-16)" + LOGO_FIRST[LOGO_FIRST.index("\n"):]


def test_json_heuristic_leaves_markdown_starting_with_an_empty_link():
    assert parse_snapshot(EMPTY_LINK_FIRST, "x.md").cards[0].title == "MiniMax-M1"


def test_markdown_starting_with_an_empty_link_is_a_crawler_dump():
    assert looks_like_crawler_dump(EMPTY_LINK_FIRST)
    assert parse_crawler_dump(EMPTY_LINK_FIRST, "x.md").cards[0].title == "MiniMax-M1"


# --------------------------------------------------------------------------
# The CRLF dump of Dec 16 (inline links)

def test_dec16_fixture_really_has_crlf_line_ends_and_odd_spaces():
    data = (CRAWL / "2025-12-16.md").read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") > 90
    assert "\u00a0".encode() in data and b"   \r\n" in data


def test_dec16_list_day_and_format():
    parsed = parse_fixture("2025-12-16.md")
    assert parsed.format == "text"
    # "Dec 16" on line 24 between prev/next links; the year from "URL Source: …/date/2025-12-16".
    assert (parsed.list_day, parsed.list_day_line) == (PartialDate(12, 16, 2025), 24)


def test_dec16_cards():
    parsed = parse_fixture("2025-12-16.md")
    got = [(c.rank, c.line, c.arxiv_id, c.upvotes, c.title, c.organization, c.authors, c.published, c.comments)
           for c in parsed.cards]
    assert got == [
        (1, 29, "2505.09343", 86,
         "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI Architectures",
         Organization("deepseek-ai", "DeepSeek"), None, PartialDate(5, 14), 5),
        (2, 40, "2501.03847", 0,
         "Diffusion as Shader: 3D-aware Video Diffusion for Versatile Video Generation Control",
         None, None, None, None),
        (3, 46, "2506.13585", 116,
         "MiniMax-M1: Scaling Test-Time Compute Efficiently with Lightning Attention",
         None, 127, PartialDate(6, 16), 5),
        (4, 55, "2503.04715", 12,
         "Predictable Scale: Part I -- Optimal Hyperparameter Scaling Law in Large Language Model Pretraining",
         None, 10, PartialDate(3, 6), None),
        (5, 64, "2511.22699", 0,
         "Z-Image: An Efficient Image Generation Foundation Model with Single-Stream Diffusion Transformer",
         Organization("Tongyi-MAI", "Tongyi-MAI"), None, PartialDate(11, 27), 4),
        (6, 72, "2507.14111", 31,
         "CUDA-L1: Improving CUDA Optimization via Contrastive Reinforcement Learning",
         None, 5, PartialDate(7, 18), 6),
        (7, 85, "2411.05197", 7, "Hardware and Software Platform Inference",
         None, 5, PartialDate(11, 7, 2024), 2),
    ]
    assert [c.url for c in parsed.cards] == [HUB + c.arxiv_id for c in parsed.cards]


def test_dec16_abstracts_are_plain_text():
    cards = parse_fixture("2025-12-16.md").cards
    assert cards[0].abstract.startswith("The rapid scaling of large language models (LLMs) has unveiled")
    assert cards[0].abstract.endswith("offering a practical blueprint for innovation in next-generation AI systems.")
    # The GitHub link in the MiniMax abstract is reduced to its text.
    assert cards[2].abstract.endswith("We publicly release MiniMax-M1 at https://github.com/MiniMax-AI/MiniMax-M1.")
    assert "](" not in cards[2].abstract
    # Kept literally: LaTeX escapes (the dump escapes their backslash, "0.07\\%"), "<16GB" (not an HTML tag),
    # and the abstract ends before the meta lines.
    assert "merely 0.07\\% away" in cards[3].abstract
    assert "(<16GB VRAM)" in cards[4].abstract
    assert cards[4].abstract.endswith("budget-friendly, yet state-of-the-art generative models.")
    assert "\\textbf{hardware and software platform inference (HSPI)}" in cards[6].abstract
    for c in cards:
        assert "\u00a0" not in c.abstract and "\r" not in c.abstract and "  " not in c.abstract


def test_dec16_matches_the_plain_text_dump_of_the_same_day():
    """Cross-format identity: every card reads exactly as in content/snapshots/2025-12-16.txt."""
    seed = seed_cards()
    for c in parse_fixture("2025-12-16.md").cards:
        text_card = seed[c.title]
        assert (c.abstract, c.organization, c.authors, c.published, c.comments) == (
            text_card.abstract, text_card.organization, text_card.authors, text_card.published,
            text_card.comments), c.title


# --------------------------------------------------------------------------
# Reference-style links and a trending page

def test_reference_links():
    parsed = parse_fixture("reference-links.md")
    assert (parsed.list_day, parsed.list_day_line) == (PartialDate(6, 17), 11)
    got = [(c.rank, c.line, c.arxiv_id, c.upvotes, c.title[:26], c.organization, c.authors, c.published, c.comments)
           for c in parsed.cards]
    assert got == [
        (1, 15, "2506.13585", 116, "MiniMax-M1: Scaling Test-T", Organization("MiniMaxAI", "MiniMax"),
         None, PartialDate(6, 16), 6),
        # collapsed reference [Title][] with a case-insensitive label; inline "who · date comments" meta
        (2, 24, "2505.09343", 42, "Insights into DeepSeek-V3:", Organization("deepseek-ai", "DeepSeek"),
         None, PartialDate(5, 14), 5),
        (3, 31, "2503.04715", 0, "Predictable Scale: Part I ", None, 10, PartialDate(3, 6), None),
    ]
    seed = seed_cards()
    assert parsed.cards[0].abstract == seed[parsed.cards[0].title].abstract
    assert parsed.cards[2].abstract.endswith("https://step-law.github.io/ See the project page.")
    assert not any("[" in c.abstract or "http" in c.title for c in parsed.cards)


def test_trending_page_has_no_list_day_and_duplicates_are_kept_once():
    parsed = parse_fixture("trending.md")
    assert (parsed.list_day, parsed.list_day_line) == (None, 0)
    got = [(c.rank, c.line, c.arxiv_id, c.upvotes, c.organization, c.authors, c.published, c.comments)
           for c in parsed.cards]
    assert got == [
        (1, 15, "2511.22699", None, Organization("Tongyi-MAI", "Tongyi-MAI"), None, PartialDate(11, 27), 4),
        (2, 21, "2507.14111", None, None, 5, PartialDate(7, 18), 6),
        (3, 33, "2411.05197", None, None, None, None, None),
    ]


# --------------------------------------------------------------------------
# Details of the format

def test_title_markdown_is_unescaped_and_html_dropped():
    text = card(r"Beyond \_under\_ \*stars\* and \[CLS\] <b>tokens</b><script>alert(1)</script>")
    title = parse_crawler_dump(text, "x.md").cards[0].title
    assert title == "Beyond _under_ *stars* and [CLS] tokens"


@pytest.mark.parametrize("title, expected", [
    ("**Insights into DeepSeek-V3**", "Insights into DeepSeek-V3"),
    ("__Insights__", "Insights"),
    ("*Insights into V3*", "Insights into V3"),
    (r"\*\*Stars\*\*", "**Stars**"),  # escaped: the title's own
    ("A **bold** word", "A **bold** word"),  # not around all of it
])
def test_emphasis_around_a_titles_link_text_is_not_the_title(title, expected):
    assert parse_crawler_dump(card(title), "x.md").cards[0].title == expected


def test_abstract_keeps_text_but_no_link_targets_or_html():
    abstract = ("See [the code](javascript:alert(1)) and [site][9], ![img](https://x/y.png)"
                "<img src=x onerror=alert(1)> <a href='https://evil'>here</a>, <think> tags, "
                "a \\_literal\\_ escape, **bold** and <https://example.org/a>.")
    text = card("T", abstract) + "\n[9]: https://example.org/site\n"
    got = parse_crawler_dump(text, "x.md").cards[0].abstract
    assert got == ("See the code and site, here, <think> tags, a _literal_ escape, **bold** "
                   "and https://example.org/a.")


def test_abstract_markdown_escapes_are_undone_as_in_titles():
    abstract = (r"We evaluate on MMLU\_Pro with pass@k \(k=1\) and \*strong\* baselines, reaching 1\. place "
                r"\[1\]; an escaped backslash \\ is one, \d and \é are no escapes, and [code](https://x/y\_z) "
                "is a link.")
    got = parse_crawler_dump(card("T", abstract), "x.md").cards[0].abstract
    assert got == (r"We evaluate on MMLU_Pro with pass@k (k=1) and *strong* baselines, reaching 1. place [1]; "
                   r"an escaped backslash \ is one, \d and \é are no escapes, and code is a link.")


def test_citations_in_brackets_stay_literal():
    text = card("T", "As shown in [1] and [2][3], we win.") + "\n[1]: https://huggingface.co/papers/2501.03847\n"
    assert parse_crawler_dump(text, "x.md").cards[0].abstract == "As shown in [1] and [2][3], we win."


def test_only_hub_links_to_papers_make_cards():
    text = ("### [Elsewhere](https://evil.example/papers/2506.13585)\n\nNoise.\n\n"
            "### [Trending](/papers/trending)\n\nMore noise.\n\n"
            "### [Real](http://www.huggingface.co/papers/2506.13585v2?x=1)\n\nAbstract.\n")
    cards = parse_crawler_dump(text, "x.md").cards
    assert [(c.title, c.arxiv_id, c.url) for c in cards] == [
        ("Real", "2506.13585", "https://huggingface.co/papers/2506.13585")]  # a version names its paper


def test_upvotes_before_title_skip_thumbnails_and_blank_lines():
    text = ("Jun 17\n\n1,204\n\n[![t](https://x/t.png)](/papers/2506.13585)\n\n" + card("A")
            + "\n-\n" + card("B").replace("2506.13585", "2501.03847")
            + "\nnot a number\n" + card("C").replace("2506.13585", "2505.09343"))
    assert [c.upvotes for c in parse_crawler_dump(text, "x.md").cards] == [1204, 0, None]


def test_compact_meta_right_after_the_abstract():
    text = ("### [T](/papers/2506.13585)\nFirst line of the abstract.\nSecond line.\n"
            "[MiniMax](/MiniMaxAI)\n·\nJun 16 [ 6](https://huggingface.co/papers/2506.13585#community)\n")
    c = parse_crawler_dump(text, "x.md").cards[0]
    assert c.abstract == "First line of the abstract. Second line."
    assert (c.organization, c.published, c.comments) == (Organization("MiniMaxAI", "MiniMax"), PartialDate(6, 16), 6)


def test_plain_organization_on_one_line_with_year_and_comments():
    c = parse_crawler_dump(card("T", extra="MiniMaxAI MiniMax · Nov 7, 2024 3"), "x.md").cards[0]
    assert (c.organization, c.published, c.comments) == (
        Organization("MiniMaxAI", "MiniMax"), PartialDate(11, 7, 2024), 3)


@pytest.mark.parametrize("bullet", ["*", "-", "+"])
def test_a_meta_line_written_as_a_list_item_keeps_its_organization_or_author_count(bullet):
    text = ("Jan 19\n\n" + card("A", extra=f"{bullet}   [NVIDIA](https://huggingface.co/nvidia)\n\n·\n\nJan 16")
            + card("B", extra=f"{bullet}   · 3 authors\n\n·\n\nJan 15").replace("2506.13585", "2601.22222")
            + card("C", extra=f"{bullet} [NVIDIA](/nvidia) · Jan 14").replace("2506.13585", "2601.33333"))
    got = [(c.organization, c.authors, c.published) for c in parse_crawler_dump(text, "x.md").cards]
    assert got == [(Organization("nvidia", "NVIDIA"), None, PartialDate(1, 16)), (None, 3, PartialDate(1, 15)),
                   (Organization("nvidia", "NVIDIA"), None, PartialDate(1, 14))]


def test_a_long_line_before_a_lone_dot_is_not_taken_for_the_organization():
    second = "A second paragraph of the abstract, long enough not to be the name of an organization, " * 2
    c = parse_crawler_dump(card("T", "First paragraph.", second + "\n\n·\nJun 3"), "x.md").cards[0]
    assert (c.abstract, c.organization, c.authors, c.published) == (
        "First paragraph. " + second.strip(), None, None, PartialDate(6, 3))


def test_an_abstract_of_several_paragraphs_is_kept_up_to_its_meta_line_or_the_next_card():
    footer = "[Previous day](https://huggingface.co/papers/date/2026-01-18)\n\nSystem theme\n\n© Hugging Face"
    cards = [card("A", "First paragraph.\n\nSecond [paragraph](https://x/y).", "[NVIDIA](/nvidia) · Jan 16"),
             card("B", "First.\n\nSecond.\n\nThird.", "nvidia NVIDIA\n\n·\n\nJan 15"),
             card("C", "First.\n\nSecond."),  # no meta line: up to the next card
             card("D", "First.", footer)]  # no meta line on the last card: the page's footer follows
    text = "Jan 19\n\n" + "".join(c.replace("2506.13585", f"2601.0000{k}") for k, c in enumerate(cards))
    got = [(c.abstract, c.organization, c.published) for c in parse_crawler_dump(text, "x.md").cards]
    assert got == [("First paragraph. Second paragraph.", Organization("nvidia", "NVIDIA"), PartialDate(1, 16)),
                   ("First. Second. Third.", Organization("nvidia", "NVIDIA"), PartialDate(1, 15)),
                   ("First. Second.", None, None), ("First.", None, None)]


def test_list_day_year_only_from_a_matching_url_source():
    base = "URL Source: https://huggingface.co/papers/date/2025-06-17\n\n{}\n\n" + card("T")
    assert parse_crawler_dump(base.format("Jun 17"), "x.md").list_day == PartialDate(6, 17, 2025)
    assert parse_crawler_dump(base.format("Jun 18"), "x.md").list_day == PartialDate(6, 18)
    assert parse_crawler_dump(base.format("## Jun 17"), "x.md").list_day_line == 3


# --------------------------------------------------------------------------
# Errors

@pytest.mark.parametrize("text, message, line", [
    ("", "no list of papers found", 1),
    ("# Daily Papers\n\n[Models](https://huggingface.co/models)\n", "no list of papers found", 1),
    ("Jun 17\n\n### [T][7]\n\nAbstract.\n", "not defined", 3),
    ("\n### [T](/papers/2506.1358x)\n\nAbstract.\n", "not an arXiv id", 2),
    ("\n### [T](/papers/\uff12506.13585)\n\nAbstract.\n", "not an arXiv id", 2),  # a fullwidth digit
    ("Jun 17\n\n### [T](/papers/2506.13585)\n\n· 5 authors\n·\nJun 16\n", "has a title but no abstract", 3),
    ("Jun 17\n\n### [T](/papers/2506.13585)\n", "has a title but no abstract", 3),
    ("### [T](/papers/2506.13585)\n\nAbstract.\n\n· 5 authors\n·\nFeb 30\n", "not a valid date", 7),
    ("### [T](/papers/2506.13585)\n\nAbstract.\n\n(weird) who · Jun 3\n", "neither an author count", 5),
])
def test_errors_name_the_line(text, message, line):
    with pytest.raises(SnapshotError, match=message) as error:
        parse_crawler_dump(text, "bad.md")
    assert (error.value.path, error.value.line) == ("bad.md", line)


def test_no_cards_message_is_exact():
    with pytest.raises(SnapshotError) as error:
        parse_crawler_dump("Title: Daily Papers\n\nJun 17\n", "x.md")
    assert error.value.message == "not a Daily Papers snapshot: no list of papers found"


# --------------------------------------------------------------------------
# Robustness: only SnapshotError may escape

_ALPHABET = ("[]()!#*_\\`<>:·•-=|~\"' \n\n\r\t\u00a0\u200b" + "abcAZ0123456789./" + "éΩ中😀\ue000"
             + "\u2028\x85\x0c")
_PIECES = ["### [", "](/papers/", "2506.13585", "](https://huggingface.co/papers/", "#community)",
           "[12]: ", "Jun 16", "Feb 30", "· ", "127 authors", "-\n", "![a](b)", "<script>", "</b>",
           "\\_", "[ 6](", "/MiniMaxAI)", "\n\n", "99999999999999999999999", "Nov 7, 2024"]


def _random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randrange(1, 60)):
        if rng.random() < 0.4:
            parts.append(rng.choice(_PIECES))
        else:
            parts.append("".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(1, 12))))
    return "".join(parts)


def _parse_or_snapshot_error(text: str) -> None:
    try:
        parsed = parse_crawler_dump(text, "fuzz.md")
    except SnapshotError:
        return
    for c in parsed.cards:
        assert c.rank >= 1 and c.arxiv_id and c.url == HUB + c.arxiv_id
        assert "](" not in c.title and "<script" not in c.title.lower()


def test_random_text_raises_only_snapshot_errors():
    rng = random.Random(20251216)
    for _ in range(300):
        _parse_or_snapshot_error(_random_text(rng))
        looks_like_crawler_dump(_random_text(rng))


@pytest.mark.parametrize("name", FIXTURES)
def test_truncated_and_mangled_fixtures_raise_only_snapshot_errors(name):
    text = fixture_text(name)
    rng = random.Random(name)
    for cut in sorted(rng.sample(range(len(text)), 60)) + [len(text) - 1]:
        _parse_or_snapshot_error(text[:cut])
    lines = text.splitlines()
    for _ in range(60):
        mangled = list(lines)
        for _ in range(rng.randrange(1, 6)):
            i = rng.randrange(len(mangled))
            choice = rng.random()
            if choice < 0.3:
                del mangled[i]
            elif choice < 0.6:
                mangled.insert(i, rng.choice(_PIECES) + _random_text(rng)[:20])
            else:
                mangled[i] = mangled[i][: rng.randrange(len(mangled[i]) + 1)]
        _parse_or_snapshot_error("\n".join(mangled))


def test_pathological_nesting_is_handled():
    deep = "[" * 3000 + "x" + "](/papers/2506.13585)" * 3000
    _parse_or_snapshot_error("### " + deep + "\n\nAbstract.\n")
    _parse_or_snapshot_error("### [T](/papers/2506.13585)\n\n" + "[a](" * 2000 + "\n")
    _parse_or_snapshot_error("### [T](/papers/2506.13585)\n\n" + "<b" * 2000 + "<script>" * 50 + "\n")


# --------------------------------------------------------------------------
# End to end

def test_cli_parse_json_end_to_end():
    result = run_cli("parse", CRAWL / "2025-12-16.md", "--json")
    assert result.returncode == 0, result.stderr
    [snapshot] = json.loads(result.stdout)
    assert (snapshot["source"], snapshot["date"], snapshot["format"]) == ("2025-12-16.md", "2025-12-16", "text")
    first = snapshot["papers"][0]
    assert (first["arxiv_id"], first["url"], first["upvotes"], first["published"], first["comments"]) == (
        "2505.09343", "https://huggingface.co/papers/2505.09343", 86, "2025-05-14", 5)
    assert first["organization"] == {"handle": "deepseek-ai", "name": "DeepSeek"}
    assert [p["published"] for p in snapshot["papers"]][-1] == "2024-11-07"
    assert len(snapshot["papers"]) == 7


def test_cli_parse_trending_needs_a_date():
    result = run_cli("parse", CRAWL / "trending.md", "--date", "2025-12-20", "--json")
    assert result.returncode == 0, result.stderr
    [snapshot] = json.loads(result.stdout)
    assert (snapshot["date"], snapshot["date_source"], len(snapshot["papers"])) == ("2025-12-20", "option", 3)


def test_thousands_of_nested_brackets_take_time_in_proportion():
    """Each "[" used to copy and case-fold the rest of the line to look it up as a reference:
    60,000 nested brackets took about 15 s.  Now they are text, read in a blink."""
    import time

    text = "Daily Papers\n\nJan 21\n\n### [Title](/papers/2601.00001)\n\n" + "[" * 60_000 + "x" + "]" * 60_000 + "\n"
    start = time.perf_counter()
    snapshot = parse_crawler_dump(text, "2026-01-21.md")  # the dump parser alone: no length limit
    assert time.perf_counter() - start < 3
    [card] = snapshot.cards
    assert card.title == "Title" and card.abstract == "[" * 60_000 + "x" + "]" * 60_000


def test_a_line_of_middle_dots_takes_time_in_proportion():
    """Each "·" used to cut the line in two to look for a date after it: 1.6 million of them took
    79 s.  What follows a dot is looked at only when short enough to be a date."""
    import time

    text = ("Daily Papers\n\nJan 21\n\n### [Title on inference](/papers/2601.00001)\n\nAn abstract.\n\n"
            + "·" * 600_000 + "\n\nOrg · Jan 20\n")
    start = time.perf_counter()
    [card] = parse_crawler_dump(text, "2026-01-21.md").cards
    assert time.perf_counter() - start < 3
    assert card.published == PartialDate(1, 20)


DUMP_HEAD = "Jan 20\n\n42\n### [Real title](/papers/2601.00001)\n\n"


def test_a_dump_of_far_more_link_syntax_than_a_day_has_is_refused_before_it_is_read():
    """11 million "[a](" (44 MB) took 2 minutes and 1.7 GB, only to be refused for the abstract's length."""
    with pytest.raises(SnapshotError, match=r"not a day's list: 200,002 links or brackets \('\['\), where a day's "
                                            r"cards have a few thousand \(digest takes up to 200,000\)") as info:
        parse_snapshot(DUMP_HEAD + "[a](" * 200_001 + "\n\n· Jan 15\n", "2026-01-20.md")
    assert info.value.line == 1


@pytest.mark.parametrize("paragraph", [
    "word " * 30_000,  # one line
    "word word\r\n" * 15_000,  # many lines, CRLF
    "word\u00a0word\n" * 15_000,  # many lines, with odd spaces in them
])
def test_a_paragraph_far_longer_than_a_card_is_refused_before_it_is_read(paragraph):
    """Reading a paragraph took about a second a megabyte, and only then was it refused as an abstract."""
    text = DUMP_HEAD + paragraph + "\n\n· Jan 15\n"
    with pytest.raises(SnapshotError, match=r"not a day's list: a paragraph of 1(49,999|50,000) characters, where the "
                                            r"longest of a card \(its abstract\) has a few thousand \(digest takes "
                                            r"up to 100,000\)") as info:
        parse_snapshot(text, "2026-01-20.md")
    assert info.value.line == 6


def test_blank_lines_of_crlf_or_spaces_count_as_blocks():
    with pytest.raises(SnapshotError, match="not a day's list: more than 20,000 blocks of text"):
        parse_snapshot(DUMP_HEAD + "a\r\n\r\nb\n \n" * 15_000, "2026-01-20.md")


def test_blank_lines_of_crlf_or_spaces_end_paragraphs_and_link_syntax_is_not_text():
    """A paragraph of many links is long in Markdown but short on the page: it is the page's length
    that is an abstract's, and blank lines written with CRLF or spaces end paragraphs."""
    links = " ".join(f"[word {i}](https://example.org/{'x' * 250}/{i})" for i in range(300))  # 84,000 characters
    text = (DUMP_HEAD + links + "\r\n \r\n· Jan 15\r\n\u00a0\r\n"
            + ("### [Second](/papers/2601.00002)\n\n" + "An abstract. " * 1500 + "\n \n· Jan 16\n"))
    first, second = parse_snapshot(text, "2026-01-20.md").cards
    assert first.abstract == " ".join(f"word {i}" for i in range(300)) and first.published == PartialDate(1, 15)
    assert len(second.abstract) == 13 * 1500 - 1 and second.published == PartialDate(1, 16)


@pytest.mark.parametrize("shown, upvotes", [("1.2k", 1200), ("12k", 12000), ("1,234,567", 1234567), ("-", 0)])
def test_upvote_counts_as_the_page_shortens_them(shown, upvotes):
    assert parse_crawler_dump(f"Jun 17\n\n{shown}\n" + card("A"), "x.md").cards[0].upvotes == upvotes


@pytest.mark.parametrize("shown, upvotes", [
    ("[86](https://huggingface.co/login?next=%2Fpapers%2F2506.13585)", 86), ("**1.2k**", 1200), ("__7__", 7),
    ("[**12**](/login)", 12), ("[-](/login)", 0),
])
def test_upvote_counts_in_bold_or_as_a_link_are_read(shown, upvotes):
    assert parse_crawler_dump(f"Jun 17\n\n{shown}\n" + card("A"), "x.md").cards[0].upvotes == upvotes


def test_a_comment_link_alone_before_a_title_is_no_upvote_count_and_a_number_title_stays_a_title():
    first = card("A", extra="· 3 authors · Jun 16\n\n[ 6](https://huggingface.co/papers/2506.13585#community)")
    text = "Jun 17\n\n**5**\n" + first + card("2048").replace("2506.13585", "2601.00001")
    got = [(c.title, c.upvotes, c.comments) for c in parse_crawler_dump(text, "x.md").cards]
    assert got == [("A", 5, 6), ("2048", None, None)]


SUBMITTERS = {
    "after the title": ("", "Submitted by [akhaliq](https://huggingface.co/akhaliq)\n\n"),
    "after the title, the user below": ("", "Submitted by\n![](https://x/avatar.png)\n[akhaliq](/akhaliq)\n\n"),
    "before the title": ("Submitted by [akhaliq](https://huggingface.co/akhaliq)\n", ""),
    "before the title, the user below": ("Submitted by\n\n[akhaliq](/akhaliq)\n\n", ""),
}


@pytest.mark.parametrize("where", sorted(SUBMITTERS))
def test_the_submitter_of_a_card_is_neither_its_abstract_nor_its_organization(where):
    before, after = SUBMITTERS[where]
    text = (f"Jun 17\n\n86\n{before}### [Kimi K2](/papers/2507.20534)\n\n{after}The abstract.\n\n"
            "[Moonshot AI](/moonshotai)\n·\nJul 28 [ 3](https://huggingface.co/papers/2507.20534#community)\n")
    [c] = parse_crawler_dump(text, "x.md").cards
    assert (c.title, c.abstract, c.upvotes, c.organization, c.comments) == (
        "Kimi K2", "The abstract.", 86, Organization("moonshotai", "Moonshot AI"), 3)


@pytest.mark.parametrize("who", [
    "[![](https://cdn.example/qwen.png)](https://huggingface.co/Qwen)[Qwen](https://huggingface.co/Qwen)",
    "[![](https://cdn.example/qwen.png)](https://huggingface.co/Qwen) [Qwen](https://huggingface.co/Qwen)",
    "[Qwen](https://huggingface.co/Qwen)[![](https://cdn.example/qwen.png)](https://huggingface.co/Qwen)",
    "[![](https://cdn.example/qwen.png)Qwen](https://huggingface.co/Qwen)",
])
def test_an_organizations_avatar_and_name_each_linked_are_one_organization(who):
    [parsed] = parse_crawler_dump("Dec 16\n\n" + card("A", extra=f"{who}\n\n·\n\nNov 7, 2024"), "x.md").cards
    assert (parsed.organization, parsed.published) == (Organization(handle="Qwen", name="Qwen"),
                                                       PartialDate(11, 7, 2024))


def test_two_organizations_linked_side_by_side_are_no_one_organization():
    who = "[Qwen](https://huggingface.co/Qwen)[DeepSeek](https://huggingface.co/deepseek-ai)"
    [parsed] = parse_crawler_dump("Dec 16\n\n" + card("A", extra=f"{who}\n\n·\n\nNov 7, 2024"), "x.md").cards
    assert (parsed.organization, parsed.published) == (None, PartialDate(11, 7, 2024))


def test_a_card_heading_that_links_no_paper_is_a_warning_naming_its_line():
    """A card whose title links elsewhere cannot be read as a card: it is left out, and said."""
    text = ("# Daily Papers\n\nFeb 1\n\n"
            "### [First paper](/papers/2601.00001)\n\nIts abstract.\n\n"
            "### [Second paper](javascript:alert(1))\n\nIts abstract.\n\n"
            "## [Not a card's level](https://example.org/)\n\nText.\n\n"
            "### [Third paper](/papers/2601.00003)\n\nIts abstract.\n\n"
            "### [Hugging Face](/)\n")  # after the last card: the site around the list
    parsed = parse_snapshot(text, "2026-02-01.md")
    assert [c.title for c in parsed.cards] == ["First paper", "Third paper"]
    assert parsed.notes == ("2026-02-01.md:9: the heading 'Second paper' links to 'javascript:alert(1)', not to "
                            "a paper's page, so its card is left out",)


def test_a_first_or_last_card_heading_that_links_no_paper_is_said_and_its_date_is_no_list_day():
    """Before the first card and after the last, a heading linking elsewhere with an upvote count
    before it is a card too: said, and the first one's date is not taken for the list day."""
    text = ("Daily Papers\n============\n\nJun 17\n\n12\n\n"
            "### [Outside paper](https://arxiv.org/abs/2506.11111)\n\nIts abstract.\n\n· 5 authors\n·\nJun 16\n\n"
            "42\n\n### [First paper](/papers/2506.13585)\n\nIts abstract.\n\n· 2 authors\n·\nJun 16\n\n"
            "7\n\n### [Second paper](/papers/2506.22222)\n\nIts abstract.\n\n· 3 authors\n·\nJun 15\n\n"
            "3\n\n### [Last outside paper](https://example.org/paper)\n\nIts abstract.\n\n· 2 authors\n·\nJun 14\n")
    parsed = parse_snapshot(text, "2025-06-17.md")
    assert (parsed.list_day, parsed.list_day_line) == (PartialDate(6, 17), 4)
    # Ranks stay the page's: the first card shown is left out.
    assert [(c.rank, c.title, c.published) for c in parsed.cards] == [
        (2, "First paper", PartialDate(6, 16)), (3, "Second paper", PartialDate(6, 15))]
    assert parsed.notes == (
        "2025-06-17.md:8: the heading 'Outside paper' links to 'https://arxiv.org/abs/2506.11111', not to a "
        "paper's page, so its card is left out",
        "2025-06-17.md:38: the heading 'Last outside paper' links to 'https://example.org/paper', not to a "
        "paper's page, so its card is left out")


def test_a_card_left_out_that_a_trending_page_shows_twice_is_one_card():
    """The trending page shows each card twice: a card whose heading links off the hub is told
    once, and counted once in the ranks of the cards after it."""
    off = "### [Off-hub paper](https://example.org/paper)\n\nIts abstract.\n\n· 3 authors\n·\nDec 12\n\n"
    cards = "".join(f"### [{title}](/papers/2512.0000{n})\n\nIts abstract.\n\n· 2 authors\n·\nDec 1{n}\n\n"
                    for n, title in enumerate(("First", "Second", "Third"), 1))
    first, second, third = cards.split("### ")[1:]
    text = "Dec 16\n\n" + "### " + first + off + "### " + second + "### " + first + off + "### " + third + "### " + second
    parsed = parse_snapshot(text, "2025-12-16.md")
    assert [(c.rank, c.title) for c in parsed.cards] == [(1, "First"), (3, "Second"), (4, "Third")]
    assert len(parsed.notes) == 1 and "'Off-hub paper'" in parsed.notes[0]


def test_a_comment_count_grouped_by_thousands_is_read_in_a_link_and_after_the_date():
    linked = LOGO_FIRST.replace("Jun 16", "Jun 16 [ 1,234](https://huggingface.co/papers/2506.13585#community)")
    plain = LOGO_FIRST.replace("Jun 16", "Jun 16 12,345")
    assert [c.comments for c in parse_crawler_dump(linked, "x.md").cards] == [1234]
    assert [c.comments for c in parse_crawler_dump(plain, "x.md").cards] == [12345]
    # In thousands, as the page shows a large count (and upvotes): read as none at all.
    for shown, count in (("1.2k", 1200), ("12k", 12000), ("3.4K comments", 3400)):
        linked = LOGO_FIRST.replace("Jun 16", f"Jun 16 [ {shown}](https://huggingface.co/papers/2506.13585#community)")
        assert [c.comments for c in parse_crawler_dump(linked, "x.md").cards] == [count]


def test_a_second_card_of_the_same_paper_under_another_title_is_kept_for_the_warning():
    """Trending pages show each card twice under one title: kept once, silently.  Another title
    for the same arXiv id is two cards taken for one paper, which the build warns of."""
    twice = LOGO_FIRST + "\n" + card("MiniMax-M1", "We introduce MiniMax-M1.", "· 127 authors\n·\nJun 16")
    assert [c.title for c in parse_snapshot(twice, "x.md").cards] == ["MiniMax-M1"]
    assert parse_snapshot(twice, "x.md").notes == ()
    other = LOGO_FIRST + "\n" + card("Something else", "Another abstract.", "· 3 authors\n·\nJun 15")
    parsed = parse_snapshot(other, "x.md")
    assert [c.title for c in parsed.cards] == ["MiniMax-M1", "Something else"]
    assert len(parsed.notes) == 1 and "'Something else' is taken for the same paper as the card" in parsed.notes[0]


@pytest.mark.parametrize("heading", ["### [](/papers/2601.00001)", "### [![thumbnail](https://x/a.png)](/papers/2601.00001)"])
def test_a_card_heading_without_title_text_is_an_error_at_its_line(heading):
    """Left out, the card would give its date to the page header (the list day)."""
    text = ("# Daily Papers\n\nJan 20\n\n" + heading + "\n\nAn abstract.\n\n· 3 authors\n·\nJan 16\n\n"
            "### [Next](/papers/2601.00002)\n\nAnother abstract.\n\n· 3 authors\n·\nJan 15\n")
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot(text, "x.md")
    assert (caught.value.line, caught.value.message) == (5, "the heading of paper 2601.00001 has no title text")


@pytest.mark.parametrize("opening, closing", [("<!--", "-->"), ("```", "```"), ("~~~~ markdown", "~~~~")])
def test_cards_in_an_html_comment_or_a_code_fence_are_not_the_pages(opening, closing):
    hidden = card("Commented out", "Not shown.", "· 3 authors\n·\nJun 15")
    text = LOGO_FIRST.replace("### [MiniMax", f"{opening}\n{hidden}{closing}\n\n### [MiniMax")
    parsed = parse_snapshot(text, "x.md")
    assert [(c.rank, c.title) for c in parsed.cards] == [(1, "MiniMax-M1")]
    assert parsed.list_day == PartialDate(6, 17)
    # One never closed is taken as written: Markdown would hide the rest of the page.
    unclosed = LOGO_FIRST.replace("### [MiniMax", f"{opening}\n{hidden}\n### [MiniMax")
    assert [c.title for c in parse_snapshot(unclosed, "x.md").cards] == ["Commented out", "MiniMax-M1"]


def _brackets_one_character_at_a_time(text: str) -> dict[int, int]:
    """CommonMark's bracket matching as written out: an escape takes the character after it."""
    matches, stack, i = {}, [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            i += 2
            continue
        if text[i] == "[":
            stack.append(i)
        elif text[i] == "]" and stack:
            matches[stack.pop()] = i
        i += 1
    return matches


_MARKDOWNISH = st.lists(st.sampled_from(list("ab \\[]()<>!:/.\"'\u00e9") + ["https://x.org", "mailto:a@b.c"]),
                        max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(_MARKDOWNISH)
def test_inline_markdown_is_split_into_segments_that_make_up_the_line(text):
    """The inline reader jumps over plain text where a character at a time took 0.2 s a 100,000-
    character paragraph (a 47 MB dump: 21 s): brackets match as one character at a time matched
    them, and the segments, put back together, are the line."""
    assert _matching_brackets(text) == _brackets_one_character_at_a_time(text)
    refs = {"a": "https://example.org/a"}
    segments = inline(text, refs)
    assert "".join(s if isinstance(s, str) else s.raw for s in segments) == text
    assert not any(isinstance(a, str) and isinstance(b, str) for a, b in zip(segments, segments[1:]))
