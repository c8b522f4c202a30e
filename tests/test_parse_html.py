"""Tests of the saved-HTML parser against the fixtures in tests/fixtures/html/.

The fixtures are saved Daily Papers pages written from the structures in
FORMATS.md section 2, with real titles and abstracts from the bundled text
snapshots.  Every expected value below was read by hand from the fixture
files (``grep -n``), not copied from the parser's output.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest

from digest.dates import resolve_snapshot_dates
from digest.errors import SnapshotError
from digest.models import Organization, PartialDate
from digest.parse import parse_snapshot
from digest.parse.html import looks_like_html, parse_html_snapshot

from conftest import CONTENT, REPO, run_cli

HTML = Path(__file__).resolve().parent / "fixtures" / "html"
FIXTURES = ["2025-12-16-hydration.html", "date-page-cards.html", "trending.html", "canonical-only.html"]
SEEDS = ["2025-11-03.txt", "2025-12-16.txt", "2026-01-07.txt", "2026-01-19.txt"]


def fixture_text(name: str) -> str:
    return (HTML / name).read_text(encoding="utf-8")


def parse_fixture(name: str):
    return parse_html_snapshot(fixture_text(name), name)


@pytest.fixture(scope="module")
def parsed():
    return {name: parse_fixture(name) for name in FIXTURES}


def item(arxiv_id: str, title: str, **paper) -> dict:
    """An API-shaped item for hand-made pages."""
    return {"paper": {"id": arxiv_id, "title": title, "summary": "An abstract.", "upvotes": 3, **paper},
            "numComments": 1}


def page(*body: str, head: str = "") -> str:
    return f"<!DOCTYPE html>\n<html>\n<head>{head}<title>Daily Papers</title></head>\n<body>\n" + "\n".join(body) + \
        "\n</body>\n</html>\n"


def hydration(props, target: str = "DailyPapers") -> str:
    escaped = json.dumps(props).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return f'<div class="SVELTE_HYDRATER contents" data-target="{target}" data-props="{escaped}"></div>'


def article(arxiv_id: str, title: str, *, upvotes: str = "4", meta: str = "", href: str | None = None) -> str:
    href = href if href is not None else f"/papers/{arxiv_id}"
    return (f'<article><div><div class="leading-none">{upvotes}</div></div>'
            f'<h3><a href="{href}">{title}</a></h3><div>{meta}</div></article>')


# --------------------------------------------------------------------------
# Recognising HTML


@pytest.mark.parametrize("name", FIXTURES)
def test_fixtures_look_like_html(name):
    assert looks_like_html(fixture_text(name))


@pytest.mark.parametrize("name", SEEDS)
def test_text_seeds_do_not_look_like_html(name):
    assert not looks_like_html((CONTENT / "snapshots" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", [
    "<!DOCTYPE html><html><body></body></html>",
    "<!doctype HTML>\n<html>",
    "\ufeff  \n<html lang='en'>",
    "<!-- saved from url=(0038)https://huggingface.co/papers/trending -->\n<html>",
    "<?xml version='1.0'?>\n<!-- a comment -->\n<!DOCTYPE html>",
    "<div>\n<div data-target=\"DailyPapers\" data-props=\"{}\"></div>",
    "some preamble\n<article class='card'><h3>x</h3></article>",
])
def test_looks_like_html(text):
    assert looks_like_html(text)


@pytest.mark.parametrize("text", [
    "",
    "new\n\nDaily Papers\n\nDec 16\n\nA title\n\nAn abstract with a < b and x > y.\n",
    '[{"paper": {"id": "2505.09343", "title": "<html>"}}]',
    '  {"dailyPapers": []}',
    "Daily Papers\n\nDec 16\n\n### [Puzzle: Distillation-Based NAS](/papers/2411.19146)\n\n"
    "[ 2](/papers/2411.19146#community)\n",
    "-\n\n### [MiniMax-M1: Scaling Test-Time Compute][3]\n\n[3]: https://huggingface.co/papers/2506.13585\n",
])
def test_does_not_look_like_html(text):
    assert not looks_like_html(text)


@pytest.mark.parametrize("name", FIXTURES)
def test_parse_snapshot_picks_the_html_parser(name):
    assert parse_snapshot(fixture_text(name), name).format == "html"


@pytest.mark.parametrize("name", SEEDS)
def test_parse_snapshot_keeps_the_text_parser_for_seeds(name):
    snapshot = parse_snapshot((CONTENT / "snapshots" / name).read_text(encoding="utf-8"), name)
    assert snapshot.format == "text"


# --------------------------------------------------------------------------
# 2025-12-16-hydration.html: a date page with hydration data and visible cards

HYDRATION_IDS = ["2505.09343", "2501.03847", "2506.13585", "2503.04715", "2411.05197"]
HYDRATION_TITLES = [
    "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI Architectures",
    "Diffusion as Shader: 3D-aware Video Diffusion for Versatile Video Generation Control",
    "MiniMax-M1: Scaling Test-Time Compute Efficiently with Lightning Attention",
    "Predictable Scale: Part I -- Optimal Hyperparameter Scaling Law in Large Language Model Pretraining",
    "Hardware and Software Platform Inference",
]


def test_hydration_cards(parsed):
    snapshot = parsed["2025-12-16-hydration.html"]
    assert snapshot.format == "html"
    assert [c.rank for c in snapshot.cards] == [1, 2, 3, 4, 5]
    assert [c.arxiv_id for c in snapshot.cards] == HYDRATION_IDS
    assert [c.title for c in snapshot.cards] == HYDRATION_TITLES
    assert [c.url for c in snapshot.cards] == [f"https://huggingface.co/papers/{i}" for i in HYDRATION_IDS]
    assert [c.upvotes for c in snapshot.cards] == [53, 18, 262, 0, 2]
    assert [c.comments for c in snapshot.cards] == [5, 0, 5, 0, 2]
    assert [c.authors for c in snapshot.cards] == [15, 12, 127, 10, 5]
    assert [c.published for c in snapshot.cards] == [
        PartialDate(5, 14, 2025), PartialDate(1, 7, 2025), PartialDate(6, 16, 2025),
        PartialDate(3, 6, 2025), PartialDate(11, 7, 2024)]
    # every card comes from the hydration element (line 29)
    assert {c.line for c in snapshot.cards} == {29}


def test_hydration_card_details(parsed):
    deepseek, das, minimax, predictable, hspi = parsed["2025-12-16-hydration.html"].cards
    assert deepseek.organization == Organization("deepseek-ai", "DeepSeek")
    assert das.organization is None and minimax.organization is None
    assert deepseek.author_names[:3] == ("Chenggang Zhao", "Chengqi Deng", "Chong Ruan")
    assert deepseek.author_names[-1] == "Y. X. Wei"
    assert len(minimax.author_names) == 127 and minimax.author_names[0] == "Aili Chen"
    assert hspi.author_names == ("Cheng Zhang", "Hanna Foerster", "Robert D. Mullins", "Yiren Zhao", "Ilia Shumailov")
    assert deepseek.keywords == ("Multi-head Latent Attention", "Mixture of Experts", "FP8 mixed-precision training",
                                 "Multi-Plane Network Topology", "hardware-aware model co-design")
    assert das.github == "https://github.com/IGL-HKUST/DiffusionAsShader" and das.github_stars == 633
    assert das.project_page == "https://igl-hkust.github.io/das/"
    assert minimax.github == "https://github.com/MiniMax-AI/MiniMax-M1" and minimax.github_stars == 2900
    assert minimax.project_page is None
    assert deepseek.github is None and deepseek.github_stars is None
    assert deepseek.thumbnail == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2505.09343.png"
    assert deepseek.abstract.startswith("The rapid scaling of large language models (LLMs) has unveiled critical")
    assert deepseek.abstract.endswith("offering a practical blueprint for innovation in next-generation AI systems.")
    assert predictable.abstract.startswith("The impressive capabilities of Large Language Models (LLMs)")


def test_hydration_list_day(parsed):
    snapshot = parsed["2025-12-16-hydration.html"]
    # "Dec 16" in the header (line 39), its year from the canonical URL /papers/date/2025-12-16
    assert snapshot.list_day == PartialDate(12, 16, 2025)
    assert snapshot.list_day_line == 39


def test_hydration_is_preferred_over_markup(parsed):
    """Markup cannot give author names or keywords; the parser took the hydration data."""
    cards = parsed["2025-12-16-hydration.html"].cards
    assert all(c.author_names is not None and c.keywords is not None for c in cards)
    assert cards[0].authors == 15  # the markup shows the organization pill, no author count


def test_markup_of_the_hydration_page_agrees_with_its_data(parsed):
    """The same page without its hydration element gives the same papers from the visible cards."""
    text = fixture_text("2025-12-16-hydration.html")
    stripped = re.sub(r' data-target="DailyPapers" data-props="[^"]*"', "", text)
    assert stripped != text
    markup = parse_html_snapshot(stripped, "2025-12-16-markup.html")
    data = parsed["2025-12-16-hydration.html"]
    assert [c.arxiv_id for c in markup.cards] == HYDRATION_IDS
    assert [c.title for c in markup.cards] == HYDRATION_TITLES
    assert [c.upvotes for c in markup.cards] == [53, 18, 262, 0, 2]  # "-" on Predictable Scale
    assert [c.comments for c in markup.cards] == [5, None, 5, None, 2]  # no comment link at zero
    assert [c.authors for c in markup.cards] == [None, 12, 127, 10, 5]
    assert [c.published for c in markup.cards] == [
        PartialDate(5, 14), PartialDate(1, 7), PartialDate(6, 16), PartialDate(3, 6), PartialDate(11, 7, 2024)]
    for m, d in zip(markup.cards, data.cards):
        assert (m.organization, m.github, m.github_stars, m.project_page, m.thumbnail) == \
            (d.organization, d.github, d.github_stars, d.project_page, d.thumbnail)
        assert m.author_names is None and m.keywords is None
    assert [c.abstract == d.abstract for c, d in zip(markup.cards, data.cards)] == [True, True, True, True, False]
    assert markup.cards[4].abstract == ""  # the last card shows no abstract
    assert [c.line for c in markup.cards] == [48, 58, 68, 78, 88]
    assert markup.list_day == PartialDate(12, 16, 2025) and markup.list_day_line == 39


# --------------------------------------------------------------------------
# date-page-cards.html: visible cards only, year-less list day


def test_cards_page(parsed):
    snapshot = parsed["date-page-cards.html"]
    assert snapshot.format == "html"
    assert snapshot.list_day == PartialDate(12, 16) and snapshot.list_day_line == 35
    cards = snapshot.cards
    assert [c.rank for c in cards] == [1, 2, 3, 4, 5, 6]
    assert [c.arxiv_id for c in cards] == ["2511.22699", "2512.04677", "2510.08666", "2507.14111", "2303.05735",
                                           "2403.06504"]
    assert [c.title for c in cards] == [
        "Z-Image: An Efficient Image Generation Foundation Model with Single-Stream Diffusion Transformer",
        "Live Avatar: Streaming Real-time Audio-Driven Avatar Generation with Infinite Length",
        "dInfer: An Efficient Inference Framework for Diffusion Language Models",
        "CUDA-L1: Improving CUDA Optimization via Contrastive Reinforcement Learning",
        "Hardware Acceleration of Neural Graphics",
        "Adding NVMe SSDs to Enable and Accelerate 100B Model Fine-tuning on a Single GPU",
    ]
    assert [c.upvotes for c in cards] == [97, 31, 0, 12, 1, 2]
    assert [c.comments for c in cards] == [4, 4, None, 6, None, 4]
    assert [c.organization for c in cards] == [
        Organization("Tongyi-MAI", "Tongyi-MAI"), Organization("Quark-LLM", "Quark"), None, None, None, None]
    assert [c.authors for c in cards] == [None, None, None, 5, 4, 7]
    assert [c.published for c in cards] == [PartialDate(11, 27), PartialDate(12, 4), None, PartialDate(7, 18),
                                            PartialDate(3, 10, 2023), PartialDate(3, 11, 2024)]
    assert [c.line for c in cards] == [43, 53, 63, 73, 82, 92]
    assert all(c.author_names is None and c.keywords is None for c in cards)


def test_cards_page_details(parsed):
    zimage, live, dinfer, cuda, neural, nvme = parsed["date-page-cards.html"].cards
    assert zimage.github == "https://github.com/Tongyi-MAI/Z-Image" and zimage.github_stars == 5100  # "5.1k"
    assert zimage.project_page is None  # the arXiv link is not a project page
    assert live.github is None and live.github_stars is None
    assert zimage.abstract.startswith("The landscape of high-performance image generation models is currently")
    assert dinfer.abstract.startswith("Diffusion-based large language models (dLLMs) have emerged")
    assert cuda.abstract == ""  # no abstract in this card's markup
    assert nvme.arxiv_id == "2403.06504"  # from an absolute https://huggingface.co/papers/ link
    assert nvme.url == "https://huggingface.co/papers/2403.06504"
    assert neural.thumbnail == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2303.05735.png"


# --------------------------------------------------------------------------
# trending.html: every card twice, no list day


def test_trending_page(parsed):
    snapshot = parsed["trending.html"]
    assert snapshot.list_day is None and snapshot.list_day_line == 1
    cards = snapshot.cards
    assert [c.rank for c in cards] == [1, 2, 3, 4, 5]
    assert [c.arxiv_id for c in cards] == ["2411.19146", "2503.20314", "2512.02551", "2509.24695", "2405.08944"]
    assert [c.title for c in cards] == [
        "Puzzle: Distillation-Based NAS for Inference-Optimized LLMs",
        "Wan: Open and Advanced Large-Scale Video Generative Models",
        "CUDA-L2: Surpassing cuBLAS Performance for Matrix Multiplication through Reinforcement Learning",
        "SANA-Video: Efficient Video Generation with Block Linear Diffusion Transformer",
        "Challenges in Deploying Long-Context Transformers: A Theoretical Peak Performance Analysis",
    ]
    assert [c.upvotes for c in cards] == [25, 60, 7, 31, 0]
    assert [c.comments for c in cards] == [2, 2, 2, 2, None]
    assert [c.authors for c in cards] == [24, 62, None, None, 1]  # "1 authors" as printed
    assert [c.organization for c in cards] == [None, None, Organization("deepreinforce-ai", "DeepReinforce"),
                                               Organization("nvidia", "NVIDIA"), None]
    assert [c.published for c in cards] == [PartialDate(11, 28, 2024), PartialDate(3, 26, 2025),
                                            PartialDate(12, 2, 2025), PartialDate(9, 29, 2025),
                                            PartialDate(5, 14, 2024)]
    # the desktop block comes first (lines 41-81); the mobile copies (93-125) are dropped
    assert [c.line for c in cards] == [41, 51, 61, 71, 81]
    wan = cards[1]
    assert wan.github == "https://github.com/Wan-Video/Wan2.1" and wan.github_stars == 14200  # "14.2k"
    assert wan.project_page == "https://wan.video/"
    assert wan.abstract.startswith("This report presents Wan, a comprehensive and open suite of video foundation")


def test_trending_mobile_block_alone_gives_the_same_papers():
    text = fixture_text("trending.html")
    mobile = text[text.index('<div class="md:hidden">'):]
    snapshot = parse_html_snapshot("<!DOCTYPE html><html><body>" + mobile, "mobile.html")
    assert [c.arxiv_id for c in snapshot.cards] == ["2411.19146", "2503.20314", "2512.02551", "2509.24695",
                                                    "2405.08944"]
    assert [c.abstract for c in snapshot.cards] == [""] * 5
    assert [c.upvotes for c in snapshot.cards] == [25, 60, 7, 31, 0]


def test_trending_copy_fills_only_what_the_first_card_lacks():
    """With the mobile block first, the first (mobile) card wins; its missing abstract comes from the copy."""
    text = fixture_text("trending.html")
    desktop_start = text.index('<div class="hidden md:block">')
    mobile_start = text.index('<div class="md:hidden">')
    mobile_end = text.index("</main>")
    swapped = text[:desktop_start] + text[mobile_start:mobile_end] + text[desktop_start:mobile_start] + \
        text[mobile_end:]
    cards = parse_html_snapshot(swapped, "swapped.html").cards
    assert [c.arxiv_id for c in cards] == ["2411.19146", "2503.20314", "2512.02551", "2509.24695", "2405.08944"]
    assert cards[1].abstract.startswith("This report presents Wan")
    assert cards[1].github_stars == 14200 and cards[4].upvotes == 0


def test_card_meta_variants():
    meta = ('<span>Submitted by <a href="/akhaliq">akhaliq</a></span>'
            '<a href="/nvidia"><img alt=""><span>nvidia NVIDIA</span></a>'
            '<div>· 18 <!-- -->authors · Oct 5, 2022</div>'
            '<a href="/papers/2210.02414#community"><svg></svg>1,204</a>')
    [card] = parse_html_snapshot(page(article("2210.02414", "GLM-130B: An Open Bilingual Pre-trained Model",
                                              upvotes="1,024", meta=meta)), "x.html").cards
    assert card.organization == Organization("nvidia", "NVIDIA")  # not the submitter; handle prefix dropped
    assert card.authors == 18  # "18 authors · Oct 5, 2022" in one element
    assert card.published == PartialDate(10, 5, 2022)
    assert card.comments == 1204 and card.upvotes == 1024


@pytest.mark.parametrize("submitted", [
    '<div><span>Submitted by</span> <a href="/akhaliq"><img alt="">AK</a></div>',
    '<div>Submitted by <span><a href="/akhaliq">AK</a></span></div>',
    '<div>Submitted by: <b><a href="/akhaliq">AK</a></b></div>',
    '<div><span>Submitted</span> <span>by</span> <a href="/akhaliq">AK</a></div>',
    '<div>Submitted by <a href="/akhaliq"><img alt="" src="a.png"></a></div>',  # an avatar alone: not the org's words
    # the avatar's link, then the name's (to the same user): the words are before the avatar
    '<div><span>Submitted by</span><a href="/akhaliq"><img alt=""></a> <a href="/akhaliq">akhaliq</a></div>',
    '<div><span>Submitted by</span> <a href="/akhaliq"><img alt="">AK</a><a href="/akhaliq">akhaliq</a></div>',
])
def test_the_submitter_is_not_the_organization_whatever_element_says_submitted_by(submitted):
    org = '<div><a href="/Tongyi-MAI"><span>Tongyi-MAI</span></a><span>·</span><span>Nov 27</span></div>'
    authors = "<div><span>· 5 authors</span><span>·</span><span>Dec 1</span></div>"
    cards = parse_html_snapshot(page(article("2511.22699", "Z-Image", meta=submitted + org),
                                     article("2511.00001", "A second paper", meta=submitted + authors)),
                                "x.html").cards
    assert cards[0].organization == Organization("Tongyi-MAI", "Tongyi-MAI")
    assert (cards[1].organization, cards[1].authors) == (None, 5)


@pytest.mark.parametrize("meta, authors", [
    ("<span>· 1,024 authors</span><span>·</span><span>Dec 1</span>", 1024),
    ("<div>· 1,024 <!-- -->authors · Oct 5, 2022</div>", 1024),  # in one element with the date
    ("<span>· 999,999 authors</span>", 999999),
    ("<span>· 1,234,567 authors</span>", None),  # a million or more: no count, as without the commas
    ("<span>· 10,24 authors</span>", None),  # not grouped by thousands
    ("<div>· 1,02 authors · Oct 5, 2022</div>", None),
])
def test_author_counts_of_thousands_are_read_with_their_separator(meta, authors):
    [card] = parse_html_snapshot(page(article("2511.00001", "A paper", meta=meta)), "x.html").cards
    assert card.authors == authors


def test_a_line_break_in_a_title_or_abstract_parts_its_words():
    text = page(article("2511.22699", "Z-Image:<br>An Efficient Model",
                        meta="<p>The landscape of image generation.<br/>Next, we propose a model.</p>"))
    [card] = parse_html_snapshot(text, "x.html").cards
    assert card.title == "Z-Image: An Efficient Model"
    assert card.abstract == "The landscape of image generation. Next, we propose a model."


def test_trending_page_without_date_is_refused_by_the_cli_but_not_with_date():
    path = HTML / "trending.html"
    result = run_cli("parse", path)
    assert result.returncode != 0 and "no list day" in result.stderr
    result = run_cli("parse", path, "--date", "2026-01-19", "--json")
    assert result.returncode == 0, result.stderr
    [data] = json.loads(result.stdout)
    assert data["format"] == "html" and data["date"] == "2026-01-19" and len(data["papers"]) == 5


# --------------------------------------------------------------------------
# canonical-only.html: an older page, hydration under <main>, list day only in the canonical link


def test_canonical_only_page(parsed):
    snapshot = parsed["canonical-only.html"]
    assert snapshot.list_day == PartialDate(1, 19, 2026) and snapshot.list_day_line == 6
    assert [c.arxiv_id for c in snapshot.cards] == ["2411.19146", "2503.20481", "2104.07857"]
    assert [c.title for c in snapshot.cards] == [
        "Puzzle: Distillation-Based NAS for Inference-Optimized LLMs",
        "Analyzing Modern NVIDIA GPU cores",
        "ZeRO-Infinity: Breaking the GPU Memory Wall for Extreme Scale Deep Learning",
    ]
    assert [c.authors for c in snapshot.cards] == [24, 4, 5]
    assert [c.published for c in snapshot.cards] == [PartialDate(11, 28, 2024), PartialDate(3, 26, 2025),
                                                     PartialDate(4, 15, 2021)]
    assert [c.upvotes for c in snapshot.cards] == [25, 4, 1]
    assert snapshot.cards[1].author_names == ("Rodrigo Huerta", "Mojtaba Abaie Shoushtary", "José-Lorenzo Cruz",
                                              "Antonio González")
    assert snapshot.cards[2].github == "https://github.com/microsoft/DeepSpeed"
    assert snapshot.cards[2].github_stars == 40312
    assert {c.line for c in snapshot.cards} == {13}


# --------------------------------------------------------------------------
# The list day from other places


def test_list_day_from_og_url():
    text = page(article("2505.09343", "A title"),
                head='<meta property="og:url" content="https://huggingface.co/papers/date/2025-12-16">')
    snapshot = parse_html_snapshot(text, "x.html")
    assert snapshot.list_day == PartialDate(12, 16, 2025) and snapshot.list_day_line == 3


def test_list_day_from_saved_from_comment():
    text = "<!-- saved from url=(0046)https://huggingface.co/papers/date/2026-01-07 -->\n" + \
        page(article("2505.09343", "A title"))
    assert parse_html_snapshot(text, "x.html").list_day == PartialDate(1, 7, 2026)


def test_header_date_wins_over_a_disagreeing_url():
    text = page("<h1>Daily Papers</h1>", "<div>Dec 17</div>", article("2505.09343", "A title"),
                head='<link rel="canonical" href="https://huggingface.co/papers/date/2025-12-16">')
    snapshot = parse_html_snapshot(text, "x.html")
    assert snapshot.list_day == PartialDate(12, 17) and snapshot.list_day_line == 6


def test_header_date_with_year():
    text = page("<h1>Daily Papers</h1>", "<div>\n  Dec 16, 2025\n</div>", article("2505.09343", "A title"))
    snapshot = parse_html_snapshot(text, "x.html")
    assert snapshot.list_day == PartialDate(12, 16, 2025) and snapshot.list_day_line == 7


def test_dates_inside_cards_and_links_are_not_the_list_day():
    text = page("<h1>Daily Papers</h1>", '<a href="/papers/date/2025-12-15">Dec 15</a>',
                article("2505.09343", "A title", meta="<span>Dec 14</span>"))
    snapshot = parse_html_snapshot(text, "x.html")
    assert snapshot.list_day is None and snapshot.list_day_line == 1
    assert snapshot.cards[0].published == PartialDate(12, 14)


def test_trending_url_means_no_list_day_even_with_hydration():
    items = [item("2505.09343", "A", submittedOnDailyAt="2025-12-16T00:00:00.000Z")]
    text = page(hydration({"dailyPapers": items}),
                head='<link rel="canonical" href="https://huggingface.co/papers/trending">')
    snapshot = parse_html_snapshot(text, "x.html")
    assert snapshot.list_day is None and [c.arxiv_id for c in snapshot.cards] == ["2505.09343"]


def test_hydration_date_string_gives_the_list_day():
    text = page(hydration({"dailyPapers": [item("2505.09343", "A")], "dateString": "2025-12-16",
                           "periodType": "day"}))
    snapshot = parse_html_snapshot(text, "x.html")
    assert snapshot.list_day == PartialDate(12, 16, 2025) and snapshot.list_day_line == 5


def test_a_year_in_hydration_data_does_not_rule_that_year_out_for_the_list_day():
    # A page saved from /papers: its header says "Dec 16" and its data dates the paper 2025-05-14.
    # The page prints a year only for another year's date, but the data always gives it.
    text = page('<link rel="canonical" href="https://huggingface.co/papers">', "<h1>Daily Papers</h1>",
                "<div>Dec 16</div>", hydration({"dailyPapers": [item("2505.09343", "A",
                                                                    publishedAt="2025-05-14T03:31:34.000Z")]}))
    parsed = parse_html_snapshot(text, "saved-page.html")
    assert parsed.list_day == PartialDate(12, 16) and not parsed.years_printed
    [snapshot] = resolve_snapshot_dates([parsed], today=dt.date(2026, 1, 1))
    assert (snapshot.date, snapshot.date_source) == (dt.date(2025, 12, 16), "content")
    # The same card shown on the page, with its year printed, does rule 2025 out.
    text = page("<h1>Daily Papers</h1>", "<div>Dec 16</div>",
                article("2505.09343", "A", meta="<span>Published on May 14, 2025</span>"))
    parsed = parse_html_snapshot(text, "saved-page.html")
    assert parsed.years_printed and parsed.cards[0].published == PartialDate(5, 14, 2025)
    [snapshot] = resolve_snapshot_dates([parsed], today=dt.date(2026, 1, 1))
    assert snapshot.date == dt.date(2026, 12, 16)


def test_weekly_page_has_no_list_day():
    text = page(hydration({"dailyPapers": [item("2505.09343", "A")], "dateString": "2025-W51",
                           "periodType": "week"}))
    assert parse_html_snapshot(text, "x.html").list_day is None


# --------------------------------------------------------------------------
# Other hydration shapes


def test_trending_hydration_under_another_target():
    items = [item("2411.19146", "Puzzle"), item("2503.20314", "Wan", githubRepo="https://github.com/Wan-Video/Wan2.1")]
    text = page(hydration({"isLoggedIn": False, "trendingPapers": items}, target="TrendingPapers"))
    snapshot = parse_html_snapshot(text, "trending.html")
    assert [c.arxiv_id for c in snapshot.cards] == ["2411.19146", "2503.20314"]
    assert snapshot.cards[1].github == "https://github.com/Wan-Video/Wan2.1"
    assert {c.line for c in snapshot.cards} == {5}


def test_unrelated_hydration_elements_are_ignored():
    text = page(hydration({"classNames": "", "items": [1, 2]}, target="MainHeader"),
                hydration({"papers": "not a list"}, target="PaperSearch"),
                article("2505.09343", "From the markup"))
    assert [c.title for c in parse_html_snapshot(text, "x.html").cards] == ["From the markup"]


def test_empty_hydration_list_falls_back_to_markup():
    text = page(hydration({"dailyPapers": []}), article("2505.09343", "From the markup", upvotes="-"))
    [card] = parse_html_snapshot(text, "x.html").cards
    assert card.title == "From the markup" and card.upvotes == 0


def test_duplicate_items_in_hydration_are_kept_once():
    text = page(hydration({"dailyPapers": [item("2505.09343", "A"), item("2505.09343", "A"), item("2506.13585", "B")]}))
    assert [c.rank for c in parse_html_snapshot(text, "x.html").cards] == [1, 2]


# --------------------------------------------------------------------------
# Hostile and broken input


def test_markup_in_hydration_titles_stays_plain_text():
    items = [item("2505.09343", "<script>alert(1)</script> Title", summary='<img src=x onerror="alert(2)"> text')]
    [card] = parse_html_snapshot(page(hydration({"dailyPapers": items})), "x.html").cards
    assert type(card.title) is str and card.title == "<script>alert(1)</script> Title"
    assert card.abstract == '<img src=x onerror="alert(2)"> text'


def test_javascript_urls_in_hydration_are_dropped():
    items = [item("2505.09343", "A", githubRepo="javascript:alert(1)", githubStars=5,
                  projectPage="JavaScript:alert(document.cookie)"),
             item("2506.13585", "B", githubRepo="https://github.com/a/b\" onmouseover=\"x",
                  projectPage="data:text/html,<script>x</script>")]
    text = page(hydration({"dailyPapers": items}))
    for card in parse_html_snapshot(text, "x.html").cards:
        assert card.github is None and card.project_page is None


def test_markup_in_visible_titles_is_dropped():
    title = 'Safe <img src=x onerror="alert(1)"><script>alert(2)</script><style>p{}</style><b>Title</b>'
    text = page(article("2505.09343", title,
                        meta='<a href="javascript:alert(3)">Project page</a>'
                             '<a href="https://github.com/a/b" onclick="x()">GitHub 12</a>'))
    [card] = parse_html_snapshot(text, "x.html").cards
    assert card.title == "Safe Title"
    assert card.project_page is None
    assert card.github == "https://github.com/a/b" and card.github_stars == 12


@pytest.mark.parametrize("href", ["/papers/../../etc", "/papers/../../etc/passwd", "/papers/2505.09343/../x",
                                  "javascript:alert(1)", "/papers/", "/papers/date/2025-12-16",
                                  "https://evil.example/papers/2505.09343"])
def test_cards_with_bad_paper_links_are_ignored(href):
    text = page(article("2505.09343", "Good"), article("", "Bad", href=href))
    assert [c.title for c in parse_html_snapshot(text, "x.html").cards] == ["Good"]
    with pytest.raises(SnapshotError, match="no list of papers found"):
        parse_html_snapshot(page(article("", "Bad", href=href)), "bad.html")


def test_a_link_to_a_version_of_a_paper_names_the_paper():
    text = page(article("2505.09343v2", "First"), "", article("2505.09344", "Second"))
    cards = parse_html_snapshot(text, "x.html").cards
    assert [(c.arxiv_id, c.line) for c in cards] == [("2505.09343", 5), ("2505.09344", 7)]
    assert cards[0].url == "https://huggingface.co/papers/2505.09343"


def test_non_arxiv_id_in_hydration_is_rejected_cleanly():
    text = page(hydration({"dailyPapers": [item("../../etc", "A")]}))
    with pytest.raises(SnapshotError, match="not an arXiv id") as error:
        parse_html_snapshot(text, "x.html")
    assert error.value.line == 5


def test_broken_hydration_json_names_the_line():
    text = page("<main>", '<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" '
                          'data-props="{&quot;dailyPapers&quot;: [{&quot;paper&quot;: ">', "</div></main>")
    with pytest.raises(SnapshotError) as error:
        parse_html_snapshot(text, "broken.html")
    assert error.value.path == "broken.html" and error.value.line == 6
    assert "line 6" in error.value.message and "hydration" in error.value.message
    assert str(error.value).startswith("broken.html:6: ")


def test_html_page_without_papers():
    text = page("<h1>Daily Papers</h1>", "<div>Dec 16</div>", "<p>Nothing here yet.</p>")
    with pytest.raises(SnapshotError, match="not a Daily Papers snapshot: no list of papers found") as error:
        parse_html_snapshot(text, "empty.html")
    assert error.value.path == "empty.html"
    with pytest.raises(SnapshotError, match="no list of papers found"):
        parse_snapshot("<!DOCTYPE html><html><body><h3>Hello</h3></body></html>", "other.html")


def test_invalid_date_on_a_card_is_a_snapshot_error():
    with pytest.raises(SnapshotError, match="not a valid date"):
        parse_html_snapshot(page(article("2505.09343", "A", meta="<span>Feb 30</span>")), "x.html")


def test_random_bytes_raise_only_snapshot_errors():
    rng = random.Random(20251216)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
        text = "<html>" + data.decode("utf-8", errors="replace")
        try:
            parse_html_snapshot(text, "random.html")
        except SnapshotError:
            pass


@pytest.mark.parametrize("name", FIXTURES)
def test_truncated_and_mangled_fixtures_raise_only_snapshot_errors(name):
    text = fixture_text(name)
    rng = random.Random(name)
    for _ in range(25):
        cut = rng.randrange(len(text))
        variants = [text[:cut], text[:cut] + text[cut + rng.randrange(1, 500):],
                    text.replace("&quot;", "&quot", rng.randrange(1, 50))]
        for variant in variants:
            try:
                parse_html_snapshot(variant, name)
            except SnapshotError:
                pass


@pytest.mark.parametrize("text", [
    "<html>",
    "<html>" + "<div>" * 5000 + "</div>" * 5000,
    "<html><body>" + "<article><h3><a href='/papers/2505.09343'>" * 300,
    "<html>" + hydration({"dailyPapers": [[[[[]]]]]}),
    "<html>" + hydration({"dailyPapers": [None, 3, "x"]}),
    "<html>" + hydration({"dailyPapers": [{"paper": {"id": 2505.09343, "title": "A"}}]}),
    "<html>" + hydration({"dailyPapers": [{"paper": {"id": "2505.09343", "title": ["A"], "authors": "x",
                                                     "upvotes": -3, "publishedAt": 7}}]}),
    '<html><div data-target="DailyPapers" data-props="' + "[" * 100000 + '"></div>',
    '<html><div data-target="DailyPapers" data-props="&#0;&#xD800;"></div>',
    "<html>\x00\ud800<h3><a href='/papers/2505.09343'>\x00</a></h3>",
])
def test_odd_pages_raise_only_snapshot_errors(text):
    try:
        parse_html_snapshot(text, "odd.html")
    except SnapshotError:
        pass


# --------------------------------------------------------------------------
# The same papers as the text seeds (for cross-format identity)


@pytest.mark.parametrize("name, seed", [("2025-12-16-hydration.html", "2025-12-16.txt"),
                                        ("date-page-cards.html", "2025-12-16.txt"),
                                        ("trending.html", "2026-01-19.txt"),
                                        ("canonical-only.html", "2026-01-19.txt")])
def test_fixture_papers_match_the_text_seeds(parsed, name, seed):
    text_cards = {c.title: c for c in parse_snapshot((CONTENT / "snapshots" / seed).read_text(encoding="utf-8"),
                                                     seed).cards}
    shared = [c for c in parsed[name].cards if c.title in text_cards]
    assert len(shared) >= 3
    for card in shared:
        twin = text_cards[card.title]
        if card.abstract:
            assert card.abstract == twin.abstract
        if card.published and twin.published:
            assert (card.published.month, card.published.day) == (twin.published.month, twin.published.day)
        if card.organization and twin.organization:
            assert card.organization == twin.organization


# --------------------------------------------------------------------------
# End to end


def test_cli_parse_json_of_the_hydration_fixture():
    result = run_cli("parse", HTML / "2025-12-16-hydration.html", "--json", cwd=REPO)
    assert result.returncode == 0, result.stderr
    [data] = json.loads(result.stdout)
    assert data["format"] == "html" and data["date"] == "2025-12-16" and data["date_source"] == "filename"
    papers = data["papers"]
    assert [p["arxiv_id"] for p in papers] == HYDRATION_IDS
    assert [p["url"] for p in papers] == [f"https://huggingface.co/papers/{i}" for i in HYDRATION_IDS]
    assert [p["upvotes"] for p in papers] == [53, 18, 262, 0, 2]
    assert papers[0]["published"] == "2025-05-14"
    assert papers[1]["github"] == {"url": "https://github.com/IGL-HKUST/DiffusionAsShader", "stars": 633}


def test_cli_parse_of_the_cards_fixture_completes_year_less_dates(tmp_path):
    target = tmp_path / "2025-12-16.html"
    target.write_text(fixture_text("date-page-cards.html"), encoding="utf-8")
    result = run_cli("parse", target, "--json")
    assert result.returncode == 0, result.stderr
    [data] = json.loads(result.stdout)
    assert data["format"] == "html" and data["date"] == "2025-12-16"
    assert [p["published"] for p in data["papers"]] == ["2025-11-27", "2025-12-04", None, "2025-07-18",
                                                        "2023-03-10", "2024-03-11"]


def test_deeply_nested_text_takes_time_in_proportion():
    """Each of 240 nested spans used to take the whole text again as a candidate abstract: a 2 MB
    page took 13 s (a 40 MB one, minutes).  Only the outermost is taken now."""
    import time

    words = "word " * 400_000
    page = ('<html><body><article><h3><a href="/papers/2601.00001">A title</a></h3>'
            + "<span>" * 240 + words + "</span>" * 240 + "</article></body></html>")
    start = time.perf_counter()
    [card] = parse_html_snapshot(page, "2026-01-21.html").cards  # the page parser alone: no length limit
    assert time.perf_counter() - start < 4
    assert card.title == "A title" and card.abstract == words.strip()
    with pytest.raises(SnapshotError, match="card 1, 'A title', has an abstract of 1,999,999 characters"):
        parse_snapshot(page, "2026-01-21.html")


def test_many_headings_that_link_to_no_paper_take_time_in_proportion():
    """Each title's line used to be looked for through every heading after the last one found,
    and a title too far into its heading to be seen took them all: 1,000 cards and 9,000 other
    headings took 47 s.  The page is now read once; lines stay right."""
    import time

    pad = "x" * 4100  # pushes the title's link past where it is looked for in its heading
    cards = "".join(f'<article><h3><span>{pad}</span><a href="/papers/2601.{i:05d}">T{i}</a></h3></article>\n'
                    for i in range(1, 400))
    near = '<article><h3><a href="/papers/2601.09999">Near</a></h3></article>\n'
    page = "<html><body>\n" + cards + near + ("<h3>" + pad + "</h3>\n") * 5000 + "</body></html>"
    start = time.perf_counter()
    cards = parse_snapshot(page, "2026-01-21.html").cards
    assert time.perf_counter() - start < 4
    assert len(cards) == 400 and cards[-1].title == "Near" and cards[-1].line == 401


def test_a_count_of_thousands_of_digits_is_no_count():
    page = ('<html><body><article><h3><a href="/papers/2601.00001">A title</a></h3>'
            '<p>An abstract long enough to be one, with several words in it for the parser.</p>'
            '<a href="/papers/2601.00001#community">' + "9," * 3000 + '9</a>'
            '<a href="https://github.com/a/b">1.' + "9" * 5000 + 'k</a></article></body></html>')
    [card] = parse_snapshot(page, "2026-01-21.html").cards
    assert card.comments is None and card.github == "https://github.com/a/b"
    assert card.github_stars == 1999  # "1.999…k": the fraction to three places


def test_a_page_of_far_more_cards_than_a_day_has_is_refused_before_it_is_read():
    """200,000 cards (13 MB) took over 20 s to read into a tree, only to be refused for their number."""
    import time

    page = "<html><body>" + "".join(f'<article><h3><a href="/papers/2601.{i % 100000:05d}">T{i}</a></h3></article>'
                                    for i in range(200_000)) + "</body></html>"
    start = time.perf_counter()
    with pytest.raises(SnapshotError, match="not a day's list: 200,000 links to papers") as info:
        parse_snapshot(page, "2026-01-21.html")
    assert time.perf_counter() - start < 2
    assert info.value.line == 1
    cards = "".join(f'<article><h3><a href="/papers/2601.{i:05d}">T{i}</a></h3><p>An abstract.</p></article>'
                    for i in range(1, 1001))
    assert len(parse_snapshot(f"<html><body>{cards}</body></html>", "2026-01-21.html").cards) == 1000


@pytest.mark.parametrize("body", [
    "<b></b>" * 160_000,  # flat: 5.5 million of them took 2 minutes and 2.5 GB
    "<div>" * 160_000 + "</div>" * 160_000,  # nested: 4 million took a minute and 3.4 GB
])
def test_a_page_of_far_more_tags_than_a_day_has_is_refused_before_it_is_read(body):
    page = ('<html><body><article><h3><a href="/papers/2601.00001">A title</a></h3>'
            '<p>An abstract.</p></article>' + body + "</body></html>")
    with pytest.raises(SnapshotError, match=r"not a day's page: 320,0\d\d tags, where a day's page has some "
                                            r"thousands \(digest takes up to 300,000\)") as info:
        parse_snapshot(page, "2026-01-21.html")
    assert info.value.line == 1


ABSTRACT = "An abstract long enough to be one, with several words in it for the parser to take."


def test_titles_and_links_deep_in_nested_elements_are_read_in_proportion():
    """Each link to a paper climbed every element above it to find its heading, each title climbed
    them again keeping a set of papers on each, each copy of a card read it again, and each element
    of a card looked through all it holds for a block: this page took 3 minutes, and 1,000 titles
    under 600,000 nested divs 20 GB in minutes.  Each element is now passed a few times at most (and
    the tree itself is bounded by the count of tags)."""
    cards = "".join(f'<div><h3><a href="/papers/2601.{i:05d}">Title {i}</a></h3><p>{ABSTRACT}</p></div>'
                    for i in range(1, 21))
    page = ("<html><body>" + "<div>" * 30_000 + cards
            + '<h3><a href="/papers/2601.00001">Title 1</a></h3>' * 1000  # copies of the first card
            + '<a href="/papers/2601.09999">a link</a>' * 10_000 + "</div>" * 30_000
            + "<div>" * 30_000 + '<h3><a href="/papers/2601.00021">Title 21</a></h3>' + "</div>" * 30_000
            + "</body></html>")
    cards = parse_snapshot(page, "2026-01-21.html").cards
    assert [card.title for card in cards] == [f"Title {i}" for i in range(1, 22)]
    assert [card.abstract for card in cards] == [ABSTRACT] * 20 + [""]


@pytest.mark.parametrize("shown, upvotes", [("1.2k", 1200), ("12k", 12000), ("1,234,567", 1234567), ("–", 0)])
def test_upvote_counts_as_the_page_shortens_them(shown, upvotes):
    [card] = parse_html_snapshot(page(article("2210.02414", "GLM-130B", upvotes=shown)), "x.html").cards
    assert card.upvotes == upvotes


def test_zero_width_joiners_are_kept_as_api_json_keeps_them_and_zero_width_spaces_go():
    # U+200D joins emoji (woman + laptop) and Indic conjuncts; U+200C spells Persian words: text, not junk.
    title = ("\U0001F469\u200d\U0001F4BB Agents: \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 and "
             "\u0915\u094d\u200d\u0937")
    original = "Z-Image: An Efficient Image Generation Foundation Model with Single-Stream Diffusion Transformer"
    text = fixture_text("date-page-cards.html").replace(original, title.replace("Agents", "Ag\u200bents"), 1)
    assert parse_html_snapshot(text, "date-page-cards.html").cards[0].title == title


def test_hydration_data_cut_short_is_told_with_the_place_json_stopped_at():
    text = page('<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" '
                'data-props="{&quot;dailyPapers&quot;: [{&quot;title&quot;: &quot;A}]}"></div>')
    with pytest.raises(SnapshotError) as caught:
        parse_html_snapshot(text, "cut.html")
    assert str(caught.value) == ("cut.html:5: malformed hydration data: the data-props JSON of the DailyPapers "
                                 "element on line 5 is not valid (Unterminated string starting at: character 28 of it)")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_hydration_data_with_a_number_json_has_not_is_refused_as_api_json_is(constant):
    props = '{&quot;dailyPapers&quot;: [{&quot;paper&quot;: {&quot;id&quot;: &quot;2501.00001&quot;, ' \
            f'&quot;title&quot;: &quot;A&quot;, &quot;upvotes&quot;: {constant}}}}}]}}'
    text = page(f'<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{props}"></div>')
    with pytest.raises(SnapshotError) as caught:
        parse_html_snapshot(text, "nan.html")
    assert str(caught.value) == ("nan.html:5: malformed hydration data: the data-props JSON of the DailyPapers "
                                 f"element on line 5 is not valid ({constant} is no JSON value)")


@pytest.mark.parametrize("value, problem", [("9" * 5000, "a number too long to be a count or an id"),
                                            ("[" * 100_000 + "]" * 100_000, "nested too deeply to be a list of papers")])
def test_hydration_data_json_cannot_hold_is_told_as_api_json_tells_it(value, problem):
    """A number of thousands of digits and nesting past Python's recursion limit were told by the
    name of Python's exception only ("not valid (ValueError)")."""
    props = f'{{&quot;dailyPapers&quot;: [{{&quot;title&quot;: &quot;A&quot;, &quot;numComments&quot;: {value}}}]}}'
    text = page(f'<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{props}"></div>')
    with pytest.raises(SnapshotError) as caught:
        parse_html_snapshot(text, "big.html")
    assert str(caught.value) == ("big.html:5: malformed hydration data: the data-props JSON of the DailyPapers "
                                 f"element on line 5 is not valid ({problem})")


def test_other_hydration_data_with_nan_is_not_taken_for_the_papers():
    props = '{&quot;papers&quot;: [{&quot;paper&quot;: {&quot;id&quot;: &quot;2501.00001&quot;, ' \
            '&quot;title&quot;: &quot;A&quot;, &quot;upvotes&quot;: NaN}}]}'
    text = page(f'<div data-target="TrendingPapers" data-props="{props}"></div>',
                article("2501.00002", "Seen on the page"))
    assert [c.title for c in parse_html_snapshot(text, "nan.html").cards] == ["Seen on the page"]


def test_two_visible_cards_of_one_id_with_other_titles_are_a_warning():
    """A paper shown twice (desktop and mobile) is one card; two titles for one id are two papers
    the site shows as one, which the JSON and hydration readers warn of too."""
    abstract = "An abstract with enough words to count as the abstract of a real paper here."
    page = ("<html><body><h1>Feb 1</h1><main>\n"
            f'<article><h3><a href="/papers/2601.00001">First title</a></h3><p>{abstract}</p></article>\n'
            f'<article><h3><a href="/papers/2601.00001">A different second title</a></h3><p>{abstract}</p></article>\n'
            f'<article><h3><a href="/papers/2601.00002">Next</a></h3><p>{abstract}</p></article>\n'
            f'<article><h3><a href="/papers/2601.00001">First title</a></h3><p>{abstract}</p></article>\n'
            "</main></body></html>\n")
    parsed = parse_snapshot(page, "2026-02-01.html")
    assert [(c.arxiv_id, c.title) for c in parsed.cards] == [
        ("2601.00001", "First title"), ("2601.00001", "A different second title"), ("2601.00002", "Next")]
    assert parsed.notes == ("2026-02-01.html:3: the card 'A different second title' is taken for the same paper "
                            "as the card at line 2, 'First title' (they have the same arXiv id), and shown with that "
                            "card's text",)
    assert [c.line for c in parsed.cards] == [2, 3, 4]
    same = parse_snapshot(page.replace("A different second title", "First title"), "2026-02-01.html")
    assert [c.title for c in same.cards] == ["First title", "Next"] and same.notes == ()


def test_a_card_in_noscript_or_template_is_not_the_pages():
    text = page("<h1>Daily Papers</h1><div>Jan 20</div>",
                "<noscript>" + article("2601.00009", "In noscript") + "</noscript>",
                "<template>" + article("2601.00008", "In a template") + "</template>",
                article("2601.00001", "Shown", meta="· 5 authors · <span>Jan 10</span>"))
    assert [(c.rank, c.title) for c in parse_html_snapshot(text, "x.html").cards] == [(1, "Shown")]


@pytest.mark.parametrize("name", ["Jan 5", "March 8"])
def test_an_organization_named_like_a_date_is_not_the_cards_date(name):
    text = page("<h1>Daily Papers</h1><div>Jan 20</div>",
                article("2601.00001", "Paper", meta=f'<a href="/jan5ai">{name}</a> · <span>Jan 10</span>'))
    [card] = parse_html_snapshot(text, "x.html").cards
    assert (card.organization, card.published) == (Organization("jan5ai", name), PartialDate(1, 10))


def _article(upvotes: int, heading: str, abstract: str = "Its abstract.") -> str:
    return (f"<article><div>{upvotes}</div><h3>{heading}</h3>\n<p>{abstract}</p>\n"
            f"<div><span>· 3 authors</span> <span>Jun 15</span></div></article>\n")


def test_a_card_whose_heading_links_no_paper_is_said_and_the_ranks_stay_the_pages():
    """A card of the visible markup whose title links elsewhere, or holds no text, cannot be read:
    it is left out with a warning naming its line, and the cards after it keep their places."""
    page = ("<!DOCTYPE html>\n<html><body><main>\n<h1>Daily Papers</h1><div><time>Jun 17</time></div>\n"
            + _article(12, '<a href="https://arxiv.org/abs/2506.11111">Outside paper</a>')
            + _article(42, '<a href="/papers/2506.13585">First paper</a>')
            + _article(7, '<a href="/papers/2506.22222"><img src="https://cdn.example/x.png" alt=""></a>')
            + _article(3, '<a href="/papers/2506.33333">Second paper</a>')
            + '<template><article><h3><a href="/x">Hidden</a></h3></article></template>\n'
            + "</main></body></html>\n")
    parsed = parse_html_snapshot(page, "2025-06-17.html")
    assert [(c.rank, c.title, c.upvotes) for c in parsed.cards] == [(2, "First paper", 42), (4, "Second paper", 3)]
    assert parsed.notes == (
        "2025-06-17.html:4: the heading 'Outside paper' has no link to a paper's page, so its card is left out",
        "2025-06-17.html:10: a card's heading has no title, so its card is left out")


def test_the_fixture_pages_give_no_warning(parsed):
    """Pages of real shape, read from their data or from their markup (cards and trending pages),
    have no card left out."""
    assert all(p.notes == () for p in parsed.values())


def _cards_page() -> str:
    return (HTML / "date-page-cards.html").read_text()


def test_an_organization_named_like_a_date_or_linked_with_a_query_is_the_organization():
    """Its name inside the link's own element ("May 4") was taken for the card's date, and a link
    to "/Quark-LLM?utm_source=papers" lost the organization."""
    page = _cards_page().replace('<span class="truncate">Quark</span>', '<span class="truncate">May 4</span>')
    page = page.replace('<a href="/Tongyi-MAI" class', '<a href="/Tongyi-MAI?utm_source=papers#top" class')
    cards = {c.arxiv_id: c for c in parse_html_snapshot(page, "2025-12-16.html").cards}
    assert (cards["2512.04677"].organization, cards["2512.04677"].published) == (
        Organization("Quark-LLM", "May 4"), PartialDate(12, 4))
    assert cards["2511.22699"].organization == Organization("Tongyi-MAI", "Tongyi-MAI")


@pytest.mark.parametrize("shown, name", [("Skywork AI", "Skywork AI"), ("Skywork Skywork AI", "Skywork AI"),
                                         ("Skywork skywork-ai", "skywork-ai"),
                                         ("<b>Skywork</b> <i>Ai2 Lab</i>", "Ai2 Lab"),
                                         ("Skywork <b>AI</b>", "Skywork AI"), ("Skywork<!-- --> AI", "Skywork AI")])
def test_an_organizations_name_that_starts_with_its_handle_is_read_whole(shown, name):
    """A pill shows the display name alone, or after the handle as text dumps do (in an element of
    its own, or in one text where the name looks like the handle): "Skywork AI" of /Skywork was
    read as "AI"."""
    page = _cards_page().replace('href="/Tongyi-MAI"', 'href="/Skywork"').replace(
        '<span class="truncate">Tongyi-MAI</span>', f'<span class="truncate">{shown}</span>')
    cards = {c.arxiv_id: c for c in parse_html_snapshot(page, "2025-12-16.html").cards}
    assert cards["2511.22699"].organization == Organization("Skywork", name)


_WITHDRAWN = '<p class="x"><!-- HTML_TAG_START -->This paper has been withdrawn by the authors.<!-- HTML_TAG_END --></p>'
_MARKED = "<!-- HTML_TAG_START -->{}<!-- HTML_TAG_END -->"


@pytest.mark.parametrize("before", [
    "",
    "<p>" + _MARKED.format("") + "</p>",  # an empty mark first
    "<noscript><p>" + _MARKED.format("Please enable JavaScript") + "</p></noscript>",  # hidden
    "<div><p>" + _MARKED.format("AI summary: a model.") + "</p></div>",  # the longest marked one is
    "<div>" + _MARKED.format("") + "<p>Beside a mark, a block</p></div>",  # around a block
])
def test_a_short_abstract_the_hub_marks_as_one_is_read(before):
    """A card's abstract, however short, is the text the hub sets after <!-- HTML_TAG_START -->:
    "This paper has been withdrawn by the authors." was dropped (shorter than 60 characters).
    A mark that is empty, hidden, around a block or on shorter text is not the abstract's."""
    page = re.sub(r'<p class="mb-2 line-clamp-3[^"]*"><!-- HTML_TAG_START -->Rendering and inverse-rendering.*?'
                  r'<!-- HTML_TAG_END --></p>', lambda _: before + _WITHDRAWN, _cards_page(), flags=re.S)
    [card] = [c for c in parse_html_snapshot(page, "2025-12-16.html").cards if c.title.startswith("Hardware Acc")]
    [as_saved] = [c for c in parse_html_snapshot(_cards_page(), "x.html").cards if c.title.startswith("Hardware Acc")]
    assert card.abstract == "This paper has been withdrawn by the authors."
    assert (card.organization, card.authors, card.published, card.comments) == (
        as_saved.organization, as_saved.authors, as_saved.published, as_saved.comments)


def test_a_page_cut_short_is_said_and_one_cut_in_its_data_is_told_as_such():
    """A download or save stopped part way: the cards read are some of the day's, the last in part."""
    page = _cards_page()
    cut = page[:page.index("2507.14111") + 300]
    parsed = parse_html_snapshot(cut, "2025-12-16.html")
    assert 0 < len(parsed.cards) < len(parse_html_snapshot(page, "2025-12-16.html").cards)
    assert parsed.notes == (f"2025-12-16.html:{cut.count(chr(10)) + 1}: the page ends before </html>: the file was cut "
                            "short, and may list only some of the day's papers, the last in part (save the page again)",)
    hydration = (HTML / "2025-12-16-hydration.html").read_text()
    cut = hydration[:hydration.index('data-target="DailyPapers"') + 2000]
    with pytest.raises(SnapshotError) as info:
        parse_html_snapshot(cut, "2025-12-16.html")
    assert info.value.message == ("no list of papers found, and the page ends before </html>: was the file cut short? "
                                  "(save the page again)")
    # A whole page, whatever follows its end (a long comment or script), is no page cut short.
    whole = _cards_page().replace("</html>", "</html>\n<!-- " + "x" * 70000 + " -->\n" + "\n" * 70000)
    assert parse_html_snapshot(whole, "2025-12-16.html").notes == ()


def test_an_empty_heading_linking_nowhere_is_a_card_still_to_load_not_one_left_out():
    page = _cards_page().replace("<article", '<article><h3 class="placeholder"></h3></article>\n<article', 1)
    parsed = parse_html_snapshot(page, "2025-12-16.html")
    assert [c.rank for c in parsed.cards] == list(range(1, len(parsed.cards) + 1)) and parsed.notes == ()
