"""Tests of the text-dump parser against the four seed snapshots.

Every expected value below was read by hand from the seed files
(``grep -n`` / ``sed -n`` on content/snapshots/*.txt), not copied from the
parser's output.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from digest.errors import DigestError, SnapshotError, shortened
from digest.models import Card, Organization, PartialDate
from digest.parse import decode_snapshot, later_problems, parse_snapshot, parse_text_snapshot
from digest.parse.text import clean_lines

SNAPSHOTS = Path(__file__).resolve().parent.parent / "content" / "snapshots"
SEEDS = ["2025-11-03.txt", "2025-12-16.txt", "2026-01-07.txt", "2026-01-19.txt"]


def seed_text(name: str) -> str:
    return (SNAPSHOTS / name).read_text(encoding="utf-8")


def parse_seed(name: str):
    return parse_text_snapshot(seed_text(name), name)


@pytest.fixture(scope="module")
def parsed():
    return {name: parse_seed(name) for name in SEEDS}


# --------------------------------------------------------------------------
# Card counts and list days (counted by hand: title, abstract, optional meta)

@pytest.mark.parametrize("name, count", [
    ("2025-11-03.txt", 5),
    ("2025-12-16.txt", 15),
    ("2026-01-07.txt", 9),
    ("2026-01-19.txt", 57),
])
def test_card_count(parsed, name, count):
    snapshot = parsed[name]
    assert len(snapshot.cards) == count
    assert [c.rank for c in snapshot.cards] == list(range(1, count + 1))
    assert snapshot.format == "text"
    assert snapshot.source == name


@pytest.mark.parametrize("name, month, day", [
    ("2025-11-03.txt", 11, 3),
    ("2025-12-16.txt", 12, 16),
    ("2026-01-07.txt", 1, 7),
    ("2026-01-19.txt", 1, 19),
])
def test_list_day(parsed, name, month, day):
    snapshot = parsed[name]
    assert snapshot.list_day == PartialDate(month, day, None)
    assert snapshot.list_day.year is None
    assert snapshot.list_day_line == 11  # "new", 4 header lines with blanks between, then the day


@pytest.mark.parametrize("name, title_lines", [
    ("2025-11-03.txt", [13, 21, 25, 33, 41]),
    ("2026-01-07.txt", [13, 21, 29, 37, 45, 53, 61, 69, 77]),
])
def test_card_lines_are_title_lines(parsed, name, title_lines):
    assert [c.line for c in parsed[name].cards] == title_lines


def test_first_and_last_card_lines_of_big_seeds(parsed):
    dec = parsed["2025-12-16.txt"].cards
    assert (dec[0].line, dec[-1].line) == (13, 117)
    jan = parsed["2026-01-19.txt"].cards
    assert (jan[0].line, jan[-1].line) == (13, 449)
    # cards without meta block push the next title only two blocks further
    assert (jan[9].line, jan[10].line) == (85, 89)  # VIBE, then CUDA-L2


# --------------------------------------------------------------------------
# Individual cards

def check_card(card: Card, *, rank, title, starts, ends, organization=None, authors=None,
               published=None, comments=None):
    assert card.rank == rank
    assert card.title == title
    assert card.abstract.startswith(starts), card.abstract[:80]
    assert card.abstract.endswith(ends), card.abstract[-80:]
    assert "\n" not in card.abstract
    assert card.organization == organization
    assert card.authors == authors
    assert card.published == published
    assert card.comments == comments
    # the text format never gives these
    assert card.upvotes is None and card.arxiv_id is None and card.url is None


DEEPSEEK_TITLE = ("Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware "
                  "for AI Architectures")


def test_cards_2025_11_03(parsed):
    cards = parsed["2025-11-03.txt"].cards
    check_card(cards[0], rank=1, title=DEEPSEEK_TITLE,
               starts="The rapid scaling of", ends="in next-generation AI systems.",
               organization=Organization("deepseek-ai", "DeepSeek"),
               published=PartialDate(5, 14), comments=5)
    check_card(cards[1], rank=2,
               title="Diffusion as Shader: 3D-aware Video Diffusion for Versatile Video Generation Control",
               starts="Diffusion models have demonstrated", ends="transfer, and object manipulation.")
    check_card(cards[2], rank=3,
               title="MiniMax-M1: Scaling Test-Time Compute Efficiently with Lightning Attention",
               starts="We introduce MiniMax-M1, the",
               ends="release MiniMax-M1 at https://github.com/MiniMax-AI/MiniMax-M1.",
               authors=127, published=PartialDate(6, 16), comments=5)
    check_card(cards[3], rank=4,
               title="Reinforcing the Diffusion Chain of Lateral Thought with Diffusion Language Models",
               starts="We introduce the Diffusion", ends="MATH, MBPP, and HumanEval.",
               authors=5, published=PartialDate(5, 15), comments=None)
    check_card(cards[4], rank=5,
               title="dInfer: An Efficient Inference Framework for Diffusion Language Models",
               starts="Diffusion-based large language models",
               ends="is open-sourced at https://github.com/inclusionAI/dInfer.")


def test_cards_2025_12_16(parsed):
    cards = parsed["2025-12-16.txt"].cards
    check_card(cards[0], rank=1, title=DEEPSEEK_TITLE,
               starts="The rapid scaling of", ends="in next-generation AI systems.",
               organization=Organization("deepseek-ai", "DeepSeek"),
               published=PartialDate(5, 14), comments=5)
    check_card(cards[5], rank=6,
               title="Z-Image: An Efficient Image Generation Foundation Model with Single-Stream "
                     "Diffusion Transformer",
               starts="The landscape of high-performance", ends="yet state-of-the-art generative models.",
               organization=Organization("Tongyi-MAI", "Tongyi-MAI"),
               published=PartialDate(11, 27), comments=4)
    check_card(cards[6], rank=7,
               title="Live Avatar: Streaming Real-time Audio-Driven Avatar Generation with Infinite Length",
               starts="Existing diffusion-based video generation", ends="long-form video synthesis applications.",
               organization=Organization("Quark-LLM", "Quark"),
               published=PartialDate(12, 4), comments=4)
    check_card(cards[7], rank=8,
               title="dInfer: An Efficient Inference Framework for Diffusion Language Models",
               starts="Diffusion-based large language models",
               ends="is open-sourced at https://github.com/inclusionAI/dInfer.")
    check_card(cards[9], rank=10, title="Hardware and Software Platform Inference",
               starts="It is now a", ends="than random guess accuracy.",
               authors=5, published=PartialDate(11, 7, 2024), comments=2)
    check_card(cards[13], rank=14, title="Hardware Acceleration of Neural Graphics",
               starts="Rendering and inverse-rendering algorithms", ends="our other NG applications.",
               authors=4, published=PartialDate(3, 10, 2023), comments=None)
    check_card(cards[14], rank=15,
               title="Adding NVMe SSDs to Enable and Accelerate 100B Model Fine-tuning on a Single GPU",
               starts="Recent advances in large", ends="only achieves 45 TFLOPS.",
               authors=7, published=PartialDate(3, 11, 2024), comments=4)


def test_cards_2026_01_07(parsed):
    cards = parsed["2026-01-07.txt"].cards
    check_card(cards[0], rank=1, title=DEEPSEEK_TITLE,
               starts="The rapid scaling of", ends="in next-generation AI systems.",
               organization=Organization("deepseek-ai", "DeepSeek"),
               published=PartialDate(5, 14, 2025), comments=5)
    check_card(cards[1], rank=2,
               title="MoE-Lens: Towards the Hardware Limit of High-Throughput MoE LLM Serving Under "
                     "Resource Constraints",
               starts="Mixture of Experts (MoE)", ends="an average 94% accuracy.",
               authors=3, published=PartialDate(4, 12, 2025))
    check_card(cards[3], rank=4,
               title="V-Rex: Real-Time Streaming Video LLM Acceleration via Dynamic KV Cache Retrieval",
               starts="Streaming video large language", ends="on resource-constrained edge devices.",
               authors=4, published=PartialDate(12, 13, 2025))
    check_card(cards[5], rank=6, title="TransMLA: Multi-head Latent Attention Is All You Need",
               starts="Modern large language models", ends="distillation of Deepseek R1.",
               authors=3, published=PartialDate(2, 11, 2025), comments=9)
    check_card(cards[8], rank=9,
               title="wa-hls4ml: A Benchmark and Surrogate Models for hls4ml Resource and Latency Estimation",
               starts="As machine learning (ML)", ends="the synthetic test dataset.",
               authors=16, published=PartialDate(11, 6, 2025))


def test_cards_2026_01_19(parsed):
    cards = parsed["2026-01-19.txt"].cards
    check_card(cards[0], rank=1, title="Puzzle: Distillation-Based NAS for Inference-Optimized LLMs",
               starts="Large language models (LLMs)", ends="significantly reduced computational costs.",
               authors=24, published=PartialDate(11, 28, 2024), comments=2)
    check_card(cards[9], rank=10, title="VIBE: Visual Instruction Based Editor",
               starts="Instruction-based image editing is", ends="inference optimizations or distillation.")
    check_card(cards[10], rank=11,
               title="CUDA-L2: Surpassing cuBLAS Performance for Matrix Multiplication through "
                     "Reinforcement Learning",
               starts="In this paper, we", ends="be found at github.com/deepreinforce-ai/CUDA-L2",
               organization=Organization("deepreinforce-ai", "DeepReinforce"),
               published=PartialDate(12, 2, 2025), comments=2)
    check_card(cards[18], rank=19,
               title="Challenges in Deploying Long-Context Transformers: A Theoretical Peak "
                     "Performance Analysis",
               starts="Transformer-based long context generative", ends="as cheap as 4K.",
               authors=1, published=PartialDate(5, 14, 2024))
    check_card(cards[24], rank=25,
               title="SANA-Video: Efficient Video Generation with Block Linear Diffusion Transformer",
               starts="We introduce SANA-Video, a", ends="low-cost, high-quality video generation.",
               organization=Organization("nvidia", "NVIDIA"),
               published=PartialDate(9, 29, 2025), comments=2)
    check_card(cards[28], rank=29,
               title="Quartet: Native FP4 Training Can Be Optimal for Large Language Models",
               starts="The rapid advancement of",
               ends="is available at https://github.com/IST-DASLab/Quartet.")
    check_card(cards[31], rank=32,
               title="Bridging the Gap Between Promise and Performance for Microscaling FP4 Quantization",
               starts="The recent hardware-accelerated microscaling",
               ends="frontier of accuracy-performance trade-offs.")
    check_card(cards[38], rank=39,
               title="TensorBLEU: Vectorized GPU-based BLEU Score Implementation for Per-Sentence "
                     "In-Training Evaluation",
               starts="Modern natural language processing", ends="like RL-based model fine-tuning.",
               organization=Organization("ReactiveAI", "Reactive AI"),
               published=PartialDate(10, 6, 2025), comments=2)
    check_card(cards[49], rank=50,
               title="Improve Machine Learning carbon footprint using Nvidia GPU and Mixed Precision "
                     "training for classification models -- Part I",
               starts="This is the 1st", ends="of the statistical analysis.",
               authors=1, published=PartialDate(9, 12, 2024))
    check_card(cards[56], rank=57,
               title="Dataset Distillation with Neural Characteristic Function: A Minmax Perspective",
               starts="Dataset distillation has emerged", ends="2.3 GB of memory.",
               authors=7, published=PartialDate(2, 27, 2025))


@pytest.mark.parametrize("name, title_start", [
    ("2025-11-03.txt", "Diffusion as Shader"),
    ("2025-11-03.txt", "dInfer"),
    ("2025-12-16.txt", "Diffusion as Shader"),
    ("2025-12-16.txt", "dInfer"),
    ("2026-01-19.txt", "VIBE"),
    ("2026-01-19.txt", "Quartet"),
    ("2026-01-19.txt", "Bridging the Gap"),
])
def test_cards_without_meta_block(parsed, name, title_start):
    matching = [c for c in parsed[name].cards if c.title.startswith(title_start)]
    assert len(matching) == 1
    card = matching[0]
    assert (card.organization, card.authors, card.published, card.comments) == (None, None, None, None)
    assert len(card.abstract) > 200


@pytest.mark.parametrize("name, without_meta", [
    ("2025-11-03.txt", 2), ("2025-12-16.txt", 2), ("2026-01-07.txt", 0), ("2026-01-19.txt", 3),
])
def test_number_of_cards_without_meta(parsed, name, without_meta):
    assert sum(1 for c in parsed[name].cards if c.published is None) == without_meta
    # every card with a meta block has either an organization or an author count, not both
    for card in parsed[name].cards:
        if card.published is not None:
            assert (card.organization is None) != (card.authors is None), card.title


def test_year_printed_only_when_different(parsed):
    # Nov 3 and Dec 16 lists (2025) print no year on 2025 dates; Jan lists (2026) print all years
    assert all(c.published.year is None for c in parsed["2025-11-03.txt"].cards if c.published)
    years_dec = {c.published.year for c in parsed["2025-12-16.txt"].cards if c.published}
    assert years_dec == {None, 2024, 2023}
    for name in ("2026-01-07.txt", "2026-01-19.txt"):
        assert all(c.published.year is not None for c in parsed[name].cards if c.published)


def test_organizations_in_seeds(parsed):
    orgs = {c.organization for s in parsed.values() for c in s.cards if c.organization}
    assert orgs == {
        Organization("deepseek-ai", "DeepSeek"),
        Organization("Tongyi-MAI", "Tongyi-MAI"),
        Organization("Quark-LLM", "Quark"),
        Organization("deepreinforce-ai", "DeepReinforce"),
        Organization("nvidia", "NVIDIA"),
        Organization("ReactiveAI", "Reactive AI"),
    }


# --------------------------------------------------------------------------
# Tolerance of copy-paste noise

def without_lines(cards):
    return [dataclasses.replace(c, line=0) for c in cards]


NOISE = {
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "crlf-twice": lambda t: t.replace("\n", "\r\r\n"),  # CRLF converted to CRLF again
    "trailing-spaces": lambda t: t.replace("\n", "  \t \n"),
    "nbsp": lambda t: t.replace(" ", "\u00a0"),
    "bom": lambda t: "\ufeff" + t,
    "all-together": lambda t: "\ufeff" + t.replace(" ", "\u00a0").replace("\n", " \r\n"),
}


@pytest.mark.parametrize("name", SEEDS)
@pytest.mark.parametrize("noise", sorted(NOISE))
def test_noise_gives_equal_cards(parsed, name, noise):
    original = parsed[name]
    noisy_text = NOISE[noise](seed_text(name))
    assert noisy_text != seed_text(name)
    noisy = parse_text_snapshot(noisy_text, name)
    assert noisy.cards == original.cards  # same line numbers too
    assert noisy.list_day == original.list_day
    assert noisy.list_day_line == original.list_day_line


@pytest.mark.parametrize("name", SEEDS)
def test_blank_line_runs_give_equal_cards(parsed, name):
    original = parsed[name]
    text = seed_text(name).replace("\n\n", "\n\n\n \n\u00a0\n")
    noisy = parse_text_snapshot(text, name)
    assert len(noisy.cards) == len(original.cards)
    assert without_lines(noisy.cards) == without_lines(original.cards)
    assert noisy.list_day == original.list_day
    # lines still point at the titles in the new text
    lines = text.replace("\r\n", "\n").split("\n")
    for card in noisy.cards:
        assert lines[card.line - 1] == card.title


def spread_meta_lines(text: str) -> str:
    """The text with a blank line between the lines of every meta block (who, "·", date)."""
    return re.sub(r"\n(·)\n", "\n\n\\1\n\n", text)


@pytest.mark.parametrize("name", SEEDS)
def test_meta_lines_with_blank_lines_between_them_give_equal_cards(parsed, name):
    text = spread_meta_lines(seed_text(name))
    assert text.count("\n\n·\n\n") == sum(c.published is not None for c in parsed[name].cards) > 0
    noisy = parse_text_snapshot(text, name)
    assert without_lines(noisy.cards) == without_lines(parsed[name].cards)


@pytest.mark.parametrize("name", SEEDS)
def test_a_comment_count_in_a_block_of_its_own_after_the_date_is_the_cards(parsed, name):
    """A copy with a blank line between every line of the meta line, the count after the date too."""
    text = re.sub(r"\n·\n([A-Z][a-z]{2} \d{1,2}(?:, \d{4})?) (\d+)(?=\n|\Z)", "\n\n·\n\n\\1\n\n\\2", seed_text(name))
    assert text.count("\n\n·\n\n") == sum(c.comments is not None for c in parsed[name].cards) > 0
    assert without_lines(parse_text_snapshot(text, name).cards) == without_lines(parsed[name].cards)


def test_a_number_after_a_date_that_an_abstract_and_meta_line_follow_is_the_next_cards_title():
    text = ("Dec 16\n\nFirst Paper\n\nIts abstract.\n\nnvidia NVIDIA\n\n·\n\nMay 14\n\n"
            "2048\n\nThe abstract of the paper called 2048.\n\n• 3 authors\n·\nMay 15 2\n")
    cards = parse_text_snapshot(text, "x.txt").cards
    assert [(c.title, c.comments, c.authors) for c in cards] == [("First Paper", None, None), ("2048", 2, 3)]


def test_author_counts_grouped_by_thousands_are_read():
    name = "2025-11-03.txt"
    text = seed_text(name).replace("• 127 authors", "• 1,127 authors")
    assert [c.authors for c in parse_text_snapshot(text, name).cards] == \
        [1127 if c.authors == 127 else c.authors for c in parse_seed(name).cards]
    with pytest.raises(SnapshotError, match="neither an author count"):
        parse_text_snapshot(text.replace("• 1,127 authors", "• 11,27 authors"), name)


@pytest.mark.parametrize("name", SEEDS)
def test_upvote_counts_before_titles_are_read_as_upvotes(parsed, name):
    original = parsed[name].cards
    text = seed_text(name)
    counts = {}
    for number, card in enumerate(original):
        count = "-" if number % 3 == 0 else str(number * 7)
        # In the title's block or, every other card, in a block of its own.
        text = text.replace(f"\n{card.title}\n", f"\n{count}\n{'' if number % 2 else chr(10)}{card.title}\n", 1)
        counts[card.title] = 0 if count == "-" else int(count)
    cards = parse_text_snapshot(text, name).cards
    assert [dataclasses.replace(c, upvotes=None, line=0) for c in cards] == without_lines(original)
    assert [c.upvotes for c in cards] == [counts[c.title] for c in original]


#: The page around the list as a "select all" copy brings it along.
PAGE_AROUND_THE_LIST = {
    "pager": ("Previous day\nNext day\n\n", ""),
    "footer": ("", "\n\nPrevious day\nNext day\n\nSystem theme\n\nCompany\nTOS\nPrivacy\nAbout\nJobs\n\n"
                   "Website\nModels\nDatasets\nSpaces\nPricing\nDocs\n"),
    "footer-one-line": ("", "\n\nPrevious day Next day\n\nSystem theme\n\nCompany TOS Privacy About Jobs\n"),
    "odd-footer": ("", "\n\nSystem theme\n\n© 2026 Hugging Face\n"),
    "period-switch-and-search": ("Daily\nWeekly\nMonthly\n\nSearch any paper with AI\n\n", ""),
    "period-switch-in-blocks": ("Daily\n\nWeekly\n\nMonthly\n\n", ""),
    "newsletter-banner-after": ("", "\n\nGet trending papers in your email inbox!\n\nSubscribe\n"),
}


@pytest.mark.parametrize("name", SEEDS)
@pytest.mark.parametrize("around", sorted(PAGE_AROUND_THE_LIST))
def test_the_page_around_the_list_is_no_card(parsed, name, around):
    before, after = PAGE_AROUND_THE_LIST[around]
    text = seed_text(name)
    list_day = parsed[name].list_day_line
    lines = text.split("\n")
    text = "\n".join(lines[:list_day]) + "\n\n" + before + "\n".join(lines[list_day:]).rstrip("\n") + after
    assert without_lines(parse_text_snapshot(text, name).cards) == without_lines(parsed[name].cards)


@pytest.mark.parametrize("title", ["Community", "Models", "About Models", "Previous"])
def test_a_first_paper_named_like_a_footer_link_is_a_paper(parsed, title):
    name = "2025-12-16.txt"
    first = parsed[name].cards[0]
    text = seed_text(name).replace(f"\n{first.title}\n", f"\n{title}\n", 1)
    cards = parse_text_snapshot(text, name).cards
    assert [c.title for c in cards] == [title] + [c.title for c in parsed[name].cards[1:]]


def test_a_submitter_left_out_inside_a_block_leaves_every_line_number_right():
    text = ("Dec 16\n\n86\nSubmitted by akhaliq\nFirst Paper Title\n\nIts abstract.\n\n"
            "deepseek-ai DeepSeek\nSubmitted by akhaliq\n·\nFeb 30 5\n")
    with pytest.raises(SnapshotError) as info:
        parse_text_snapshot(text, "x.txt")
    assert info.value.line == 12  # the date's own line
    cards = parse_text_snapshot(text.replace("Feb 30", "Feb 3"), "x.txt").cards
    assert [(c.title, c.line, c.upvotes) for c in cards] == [("First Paper Title", 5, 86)]


@pytest.mark.parametrize("name", SEEDS)
def test_the_submitter_of_each_card_is_no_title_abstract_or_organization(parsed, name):
    original = parsed[name].cards
    text = seed_text(name)
    for number, card in enumerate(original):
        # Before the title, after it, on a line of its own or with the user on the next line.
        submitter = ("Submitted by\nakhaliq", "Submitted by akhaliq", "Submitted by\n\nakhaliq")[number % 3]
        text = text.replace(f"\n{card.title}\n", f"\n{submitter}\n\n{card.title}\n" if number % 2 else
                            f"\n{card.title}\n\n{submitter}\n", 1)
    assert text.count("Submitted by") == len(original)
    cards = parse_text_snapshot(text, name).cards
    assert without_lines(cards) == without_lines(original)
    lines = text.split("\n")
    assert all(lines[card.line - 1] == card.title for card in cards)


@pytest.mark.parametrize("submitter", ["Submitted by\n", "Submitted by\n\nakhaliq\n"])
def test_a_one_word_title_after_a_bare_submitted_by_is_the_next_cards_title(submitter):
    """After "Submitted by" and a blank line, a word may be its user or the next card's title:
    it is the title when, read so, its abstract is followed by a meta line."""
    text = ("Dec 16\n\nPaper One\n\nIts abstract.\n\n  • 3 authors\n·\nDec 1\n" + submitter +
            "\nLumiere\n\nAnother abstract.\n\n  • 3 authors\n·\nDec 2\n\n"
            "Paper Three\n\nA third abstract.\n\n  • 4 authors\n·\nDec 3\n")
    cards = parse_text_snapshot(text, "x.txt").cards
    assert [(c.rank, c.title, c.abstract) for c in cards] == [
        (1, "Paper One", "Its abstract."), (2, "Lumiere", "Another abstract."), (3, "Paper Three", "A third abstract.")]


@pytest.mark.parametrize("comments", [None, 7])
def test_a_number_after_a_meta_line_is_a_title_when_cards_without_meta_lines_follow(comments):
    """A lone number after a meta line without a comment count is that count, or the next card's
    title ("2048"): which, the cards up to the next meta line tell, each a title and an abstract."""
    count = f"\n{comments}\n" if comments else ""
    text = ("Dec 16\n\nPaper One\n\nIts abstract.\n\n  • 3 authors\n·\nDec 1\n" + count +
            "\n2048\n\nAnother abstract.\n\nPaper Three\n\nA third abstract.\n\n  • 3 authors\n·\nDec 2\n")
    cards = parse_text_snapshot(text, "x.txt").cards
    assert [(c.title, c.abstract, c.comments) for c in cards] == [
        ("Paper One", "Its abstract.", comments), ("2048", "Another abstract.", None),
        ("Paper Three", "A third abstract.", None)]


@pytest.mark.parametrize("count, warned", [("2025", True), ("1991", True), ("9", False), ("1990", False),
                                           ("2101", False)])
def test_a_comment_count_that_reads_as_a_year_after_a_year_less_date_is_a_warning(count, warned):
    """"May 14 2025" lost the comma before its year: read as the page means it (2025 comments, a
    date of the list's year), and said, as the date is likely wrong."""
    text = f"Dec 16\n\nPaper One\n\nIts abstract.\n\ndeepseek-ai DeepSeek\n·\nMay 14 {count}\n"
    parsed = parse_snapshot(text, "x.txt")
    [card] = parsed.cards
    assert (card.published, card.comments) == (PartialDate(5, 14), int(count))
    assert parsed.notes == ((f"x.txt:3: the card 'Paper One' has {count} comments after its date May 14: if {count} "
                             f"is the year, write it after a comma ('May 14, {count}'), as the page does",)
                            if warned else ())


def test_line_numbers_point_at_titles_in_seed(parsed):
    for name, snapshot in parsed.items():
        lines = seed_text(name).split("\n")
        assert lines[snapshot.list_day_line - 1] == snapshot.list_day.text()
        for card in snapshot.cards:
            assert lines[card.line - 1] == card.title


# --------------------------------------------------------------------------
# Errors

def raises_snapshot_error(text: str, source: str = "bad.txt") -> SnapshotError:
    with pytest.raises(SnapshotError) as info:
        parse_text_snapshot(text, source)
    error = info.value
    assert isinstance(error, DigestError)
    assert error.path == source
    return error


@pytest.mark.parametrize("text", ["", "\n\n\n", "  \r\n\u00a0\n\ufeff"])
def test_empty_file(text):
    error = raises_snapshot_error(text)
    assert error.line == 1
    assert "empty" in error.message
    assert str(error).startswith("bad.txt:1: ")


def test_no_list_day():
    text = seed_text("2025-11-03.txt").replace("\nNov 3\n", "\nDaily list\n")
    error = raises_snapshot_error(text)
    assert error.line == 1
    assert "no list day" in error.message
    assert "Dec 16" in error.message  # tells what a list day looks like


def test_header_only_has_no_papers():
    text = "new\n\nDaily Papers\n\nNov 3\n"
    error = raises_snapshot_error(text)
    assert error.line == 5
    assert "no papers" in error.message


def test_truncated_file_title_without_abstract():
    lines = seed_text("2025-11-03.txt").split("\n")
    assert lines[40].startswith("dInfer")  # line 41
    text = "\n".join(lines[:41]) + "\n"
    error = raises_snapshot_error(text)
    assert error.line == 41
    assert "no abstract" in error.message
    assert "dInfer" in error.message


def test_title_followed_directly_by_meta_block():
    text = "Nov 3\n\nA title\n\n  • 3 authors\n·\nMay 2\n"
    error = raises_snapshot_error(text)
    assert error.line == 3
    assert "no abstract" in error.message



@pytest.mark.parametrize("title", ["\u200b\u200b", "\ufeff", "\u3164"])  # zero-width spaces; a Hangul filler
@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_title_of_invisible_characters_only_is_told_at_its_line_whatever_they_are(title, line_end):
    text = ("Daily Papers\n\nJan 20\n\nFirst\n\nAbs one\n\n" + title + "\n\nAbs two\n\nacme ACME\n·\nJan 10 3\n")
    with pytest.raises(SnapshotError) as info:
        parse_snapshot(text.replace("\n", line_end), "bad.txt")  # with the check of every card's text
    assert (info.value.line, info.value.message) == (9, "card 2 has a title of invisible characters only")


# Zero-width characters make a line blank, and the card's abstract seems missing: told at that line. A Hangul
# filler is a character of the text, checked with the card's other text: told at the card's line.
@pytest.mark.parametrize(("abstract", "line"), [("\u200b\u200b", 11), ("\ufeff", 11), ("\u3164", 9)])
@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("meta", ["acme ACME\n·\nJan 10 3\n", ""])  # the last card's may be missing
def test_an_abstract_of_invisible_characters_only_is_told_as_such_not_as_missing(abstract, line, line_end, meta):
    text = "Daily Papers\n\nJan 20\n\nFirst\n\nAbs one\n\nSecond\n\n" + abstract + "\n\n" + meta
    with pytest.raises(SnapshotError) as info:
        parse_snapshot(text.replace("\n", line_end), "bad.txt")
    assert (info.value.line, info.value.message) == (line, "card 2, 'Second', has an abstract of invisible characters "
                                                           "only")

def test_invalid_card_date_feb_30():
    text = seed_text("2025-11-03.txt").replace("\nMay 14 5\n", "\nFeb 30 5\n")
    error = raises_snapshot_error(text)
    assert error.line == 19  # the date line of the first meta block
    assert "Feb 30" in error.message
    assert "not a valid date" in error.message



@pytest.mark.parametrize("date", ["Jan 10, 0", "Jan 10, 99999", "Jan 10, 0 3"])
@pytest.mark.parametrize("split", [False, True])  # the meta line's parts one block each, as some copies have them
def test_a_card_date_whose_year_is_no_year_is_not_a_valid_date_not_a_title(date, split):
    meta = "acme ACME\n\n·\n\n" + date if split else "acme ACME\n·\n" + date
    error = raises_snapshot_error(f"Daily Papers\n\nJan 20\n\nFirst\n\nAbs\n\n{meta}\n")
    assert error.line == (13 if split else 11)  # the date's line
    assert error.message == f"'acme ACME · {date}' is not a valid date"

def test_invalid_list_day():
    text = seed_text("2025-11-03.txt").replace("\nNov 3\n", "\nNov 31\n")
    error = raises_snapshot_error(text)
    assert error.line == 11
    assert "Nov 31" in error.message


def test_feb_29_without_year_is_accepted():
    snapshot = parse_text_snapshot("Mar 1\n\nT\n\nAbstract text.\n\n• 2 authors\n·\nFeb 29\n", "x.txt")
    assert snapshot.cards[0].published == PartialDate(2, 29, None)


def test_feb_29_in_a_common_year_is_refused():
    error = raises_snapshot_error("Mar 1\n\nT\n\nAbstract text.\n\n• 2 authors\n·\nFeb 29, 2025\n")
    assert error.line == 9
    assert "Feb 29, 2025" in error.message


@pytest.mark.parametrize("who", ["• many authors", "(unknown) team", "@@ Someone", "• " + "9" * 5000 + " authors"])
def test_meta_who_neither_author_count_nor_org(who):
    text = seed_text("2025-11-03.txt").replace("\ndeepseek-ai DeepSeek\n", f"\n{who}\n")
    error = raises_snapshot_error(text)
    assert error.line == 17  # first line of the meta block
    assert (who if len(who) <= 60 else who[:59] + "…") in error.message and len(error.message) < 150
    assert "author count" in error.message and "organization" in error.message


@pytest.mark.parametrize("text, line, part", [
    ("Title one\n\nDec 1 3\n\nTitle two\n\nAbstract two\n", 3, "abstract"),  # a meta line's date alone
    ("\u00b7\n\nAbstract\n", 1, "title"),
    ("Title\n\n\u2022 5 authors\n\nTitle two\n\nAbstract two\n", 3, "abstract"),
    ("Dec 2 4\n\nAbstract\n", 1, "title"),
])
def test_a_part_of_a_meta_line_is_never_a_title_or_abstract(text, line, part):
    error = raises_snapshot_error("Daily Papers\n\nDec 16\n\n" + text)
    assert error.line == line + 4 and f"where a card's {part} should be" in str(error)


def test_a_card_shown_twice_is_listed_once():
    """As the trending page shows each card (desktop and mobile): the first is kept, ranks follow."""
    cards = parse_text_snapshot("Daily Papers\n\nDec 16\n\nAlpha\n\nOne.\n\nBeta\n\nTwo.\n\n"
                                "Alpha \n\nOne.\n\nGamma\n\nThree.\n", "x.txt").cards
    assert [(c.rank, c.title, c.abstract) for c in cards] == [(1, "Alpha", "One."), (2, "Beta", "Two."),
                                                               (3, "Gamma", "Three.")]


@pytest.mark.parametrize("title", ["Alpha", "ALPHA"])
def test_a_card_of_an_earlier_cards_title_and_another_abstract_is_kept_and_warned_of(title):
    """Two papers of one title, most likely, which the site takes for one (as with API JSON)."""
    parsed = parse_snapshot(f"Daily Papers\n\nDec 16\n\nAlpha\n\nOne.\n\nBeta\n\nTwo.\n\n{title}\n\n"
                            f"Another paper's abstract.\n", "2025-12-16.txt")
    assert [(c.rank, c.title, c.line) for c in parsed.cards] == [(1, "Alpha", 5), (2, "Beta", 9), (3, title, 13)]
    why = "they have the same title" if title == "Alpha" else "their titles differ only in case, accents or punctuation"
    assert parsed.notes == (f"2025-12-16.txt:13: the card '{title}' is taken for the same paper as the card at "
                            f"line 5, 'Alpha' ({why}), and shown with that card's text",)


@pytest.mark.parametrize("name", ["2025-12-16.txt", "trending.txt"])
# the meta line on one block, or on three: a date alone on a line after the heading is no list day
@pytest.mark.parametrize("meta", ["nvidia NVIDIA\n·\nDec 10 2", "nvidia NVIDIA\n\n·\n\nDec 10, 2024"])
def test_a_dump_of_the_trending_page_has_no_list_day_and_each_card_once(name, meta):
    """Its heading instead of a list day; dated by its file name, as a saved trending page is."""
    text = ("new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nTrending Papers\n\n"
            "by AK and the research community\n\n" + f"Alpha\n\nOne.\n\n{meta}\n\nBeta\n\nTwo.\n\n" * 2)
    parsed = parse_snapshot(text, name)
    assert parsed.list_day is None and parsed.list_day_line == 7
    assert [(c.rank, c.title, c.abstract) for c in parsed.cards] == [(1, "Alpha", "One."), (2, "Beta", "Two.")]
    assert parsed.cards[0].organization.handle == "nvidia" and parsed.cards[0].published.day == 10


def test_a_meta_block_that_lost_its_dot_line_is_still_the_cards_meta():
    """A title or abstract never ends in a line of a date alone; taken for a card, it made a card of
    the meta block and one of the next card's title."""
    cards = parse_text_snapshot("Daily Papers\n\nDec 16\n\nAlpha\n\nOne.\n\nnvidia NVIDIA\nDec 1 4\n\n"
                                "Beta\n\nTwo.\n\n  \u2022 3 authors\nDec 10\n", "x.txt").cards
    assert [(c.title, c.abstract, c.organization and c.organization.name, c.authors, c.published, c.comments)
            for c in cards] == [("Alpha", "One.", "NVIDIA", None, PartialDate(12, 1), 4),
                                ("Beta", "Two.", None, 3, PartialDate(12, 10), None)]


META = "\n\n\u2022 3 authors\n\u00b7\nNov 28, 2024 2\n\n"


def test_upvote_counts_with_thousands_are_read_and_a_title_that_is_a_number_is_a_title():
    counted = parse_text_snapshot("Daily Papers\n\nJan 19\n\n1,234\n\nFirst\n\nOne." + META +
                                  "1.2k\n\nSecond\n\nTwo." + META + "-\n\nThird\n\nThree.\n", "x.txt").cards
    assert [(c.title, c.upvotes) for c in counted] == [("First", 1234), ("Second", 1200), ("Third", 0)]
    # No counts in this dump: its first title is "2048", whose abstract follows it.
    numbered = parse_text_snapshot("Daily Papers\n\nJan 19\n\n2048\n\nWe study the game 2048." + META +
                                   "Second\n\nTwo." + META, "x.txt").cards
    assert [(c.title, c.abstract, c.upvotes) for c in numbered] == [
        ("2048", "We study the game 2048.", None), ("Second", "Two.", None)]


def test_a_meta_line_without_who_split_by_blank_lines_follows_a_one_line_abstract():
    cards = parse_text_snapshot("Daily Papers\n\nFeb 5\n\nA Paper Title\n\nWe present a method.\n\n"
                                "\u00b7\n\nFeb 3 4\n\nNext\n\nAbstract.\n", "x.txt").cards
    assert [(c.title, c.abstract, c.published, c.comments) for c in cards] == [
        ("A Paper Title", "We present a method.", PartialDate(2, 3), 4), ("Next", "Abstract.", None, None)]


def test_a_title_that_only_looks_like_a_date_is_a_title():
    cards = parse_text_snapshot("Daily Papers\n\nDec 16\n\nTitle 2\n\nAbstract\n", "x.txt").cards
    assert [(c.title, c.abstract) for c in cards] == [("Title 2", "Abstract")]


def test_meta_block_before_any_title():
    text = "Nov 3\n\ndeepseek-ai DeepSeek\n·\nMay 14 5\n\nTitle\n\nAbstract.\n"
    error = raises_snapshot_error(text)
    assert error.line == 3
    assert "without a title" in error.message


def test_one_author_and_org_with_spaces_in_name():
    text = ("Jan 19\n\nFirst\n\nAbstract one.\n\n  • 1 authors\n·\nSep 12, 2024\n\n"
            "Second\n\nAbstract two.\n\nReactiveAI Reactive AI\n·\nOct 6, 2025 2\n")
    cards = parse_text_snapshot(text, "x.txt").cards
    assert (cards[0].authors, cards[0].organization, cards[0].comments) == (1, None, None)
    assert cards[1].organization == Organization("ReactiveAI", "Reactive AI")
    assert (cards[1].authors, cards[1].comments) == (None, 2)
    assert cards[1].published == PartialDate(10, 6, 2025)
    assert (cards[0].line, cards[1].line) == (3, 11)


# --------------------------------------------------------------------------
# decode_snapshot

def test_decode_refuses_nul_bytes():
    with pytest.raises(SnapshotError) as info:
        decode_snapshot(b"Nov 3\n\nTitle\x00\x00\n", "binary.txt")
    assert info.value.path == "binary.txt"
    assert "NUL" in info.value.message or "binary" in info.value.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_with_its_byte_order_mark_is_read_like_utf8(parsed, encoding):
    """As Windows editors save "Unicode" text; the BOM says which byte order (UTF-32 too)."""
    text = seed_text("2025-12-16.txt").replace("\n", "\r\n")
    bom = {"utf-16": b"", "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32": b"",
           "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}[encoding]
    data = bom + text.encode(encoding)
    assert parse_text_snapshot(decode_snapshot(data, "x.txt"), "2025-12-16.txt").cards == \
        parsed["2025-12-16.txt"].cards


def test_broken_utf16_reports_line():
    data = codecs.BOM_UTF16_LE + "new\n\nNov 3\n".encode("utf-16-le") + b"\x00\xd8" + "x\n".encode("utf-16-le")
    with pytest.raises(SnapshotError) as info:
        decode_snapshot(data, "broken.txt")
    assert info.value.line == 4 and "UTF-16" in info.value.message


def test_decode_invalid_utf8_reports_line():
    data = b"new\n\nNov 3\n\nTitle\n\nAbstract with a bad byte \xff here\n"
    with pytest.raises(SnapshotError) as info:
        decode_snapshot(data, "latin.txt")
    assert info.value.line == 7
    assert info.value.path == "latin.txt"
    assert "UTF-8" in info.value.message
    assert "0xff" in info.value.message


def test_decode_invalid_utf8_on_first_line():
    with pytest.raises(SnapshotError) as info:
        decode_snapshot(b"caf\xe9\n\nNov 3\n", "x.txt")
    assert info.value.line == 1


def test_decode_strips_bom_and_keeps_text():
    text = seed_text("2025-12-16.txt")
    assert decode_snapshot(text.encode("utf-8"), "a.txt") == text
    assert decode_snapshot(b"\xef\xbb\xbf" + text.encode("utf-8"), "a.txt") == text


def test_decoded_seed_parses_like_text(parsed):
    data = (SNAPSHOTS / "2026-01-19.txt").read_bytes()
    assert parse_text_snapshot(decode_snapshot(data, "2026-01-19.txt"), "2026-01-19.txt") == parsed["2026-01-19.txt"]


@pytest.mark.parametrize("meta", ["  • " + "9" * 5000 + " authors\n·\nMay 14", "  • 5 authors\n·\nMay 14 " + "9" * 5000])
def test_absurdly_long_counts_are_errors_not_crashes(meta):
    text = "Daily Papers\n\nDec 16\n\nA title\n\nAn abstract.\n\n" + meta + "\n"
    with pytest.raises(SnapshotError):
        parse_text_snapshot(text, "x.txt")


_SPACES = "".join(chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) not in "\r\n")


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab ·\u200b\u00e9\r\n") | st.sampled_from(_SPACES) | st.characters(),
               max_size=60))
def test_clean_lines_is_splitting_and_joining_every_line(text):
    """Lines kept as they are when clean give what splitting and joining every line gives."""
    expected = [" ".join(line.split()) for line in
                text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n").replace("\u200b", "")
                .split("\n")]
    expected = ["" if not line.strip("\u200c\u200d ") else line for line in expected]  # joiners alone: blank
    if not any(character in text for character in "\u2060\ufeff"):
        assert clean_lines(text) == expected


@pytest.mark.parametrize("blank", ["\r\n\r\n", "\n \n", "\n\t\u00a0\n", "\r\r"])
def test_millions_of_blocks_are_refused_before_they_are_read_whatever_their_blank_lines(blank):
    """Blank lines of CRLF, of spaces or of old Mac line ends end blocks as "\\n\\n" does: a dump
    of millions of them (35 MB) took 14 s to read before it was refused for having no list day."""
    text = "Daily Papers" + blank + "Jan 21" + blank + ("a" + blank) * 1_000_000
    with pytest.raises(SnapshotError, match=r"not a day's list: more than 20,000 blocks of text") as info:
        parse_snapshot(text, "2026-01-21.txt")
    assert info.value.line == 1


def test_a_day_of_many_lines_and_few_blocks_is_read():
    """The bound is on blocks, not lines: 100 cards of abstracts of 420 lines each are a day's list."""
    text = "Daily Papers\n\nJan 21\n\n" + "".join(
        f"Title {n}\n\n" + "ab\n" * 420 + "\n\u2022 3 authors\n\u00b7\nJan 20 2\n\n" for n in range(100))
    assert text.count("\n") > 40_000
    cards = parse_snapshot(text, "2026-01-21.txt").cards
    assert [c.title for c in cards] == [f"Title {n}" for n in range(100)]
    assert cards[0].abstract == " ".join(["ab"] * 420) and cards[0].authors == 3


def test_cards_of_one_list_that_would_be_taken_for_one_paper_are_told_by_line():
    text = ("Daily Papers\n\nJan 21\n\nSame Title!\n\nabs one\n\nAnother paper\n\nabs two\n\nsame-title\n\n"
            "abs three\n\nSAME TITLE\n\nabs four\n")
    parsed = parse_snapshot(text, "2026-01-21.txt")
    assert [card.title for card in parsed.cards] == ["Same Title!", "Another paper", "same-title", "SAME TITLE"]
    assert parsed.notes == tuple(
        f"2026-01-21.txt:{line}: the card '{title}' is taken for the same paper as the card at line 5, 'Same Title!' "
        f"(their titles differ only in case, accents or punctuation), and shown with that card's text"
        for line, title in ((13, "same-title"), (17, "SAME TITLE")))
    # Titles that differ in words are other papers, and the seeds' lists hold no such pair.
    assert parse_snapshot(text.replace("same-title", "Same Title, Again"), "x.txt").notes[0].startswith("x.txt:17:")
    for seed in sorted((Path(__file__).resolve().parent.parent / "content" / "snapshots").iterdir()):
        assert parse_snapshot(seed.read_text(), seed.name).notes == ()


def test_zero_width_joiners_are_kept_and_zero_width_spaces_go():
    # U+200D joins emoji (woman + laptop) and Indic conjuncts; U+200C spells Persian words: text, not junk.
    title = "\U0001F469\u200d\U0001F4BB Agents: \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    abstract = "Hindi \u0915\u094d\u200d\u0937 keeps its joiner."
    spaced = title.replace("Agents", "Ag\u200bents")
    dump = f"Daily Papers\n\nMar 2\n\n{spaced}\n\n{abstract}\ufeff\n\nNVIDIA · Mar 1\n"
    [card] = parse_text_snapshot(dump, "2026-03-02.txt").cards
    assert (card.title, card.abstract) == (title, abstract)


def test_a_line_of_joiners_alone_is_a_blank_line():
    # Copy-paste can leave a zero-width non-joiner on the blank line between two cards.
    dump = ("Daily Papers\n\nMar 2\n\nFirst Title\n\nFirst abstract.\n\u200c\nNVIDIA · Mar 1\n\u200c\u200d \n"
            "Second Title\n\nSecond abstract.\n")
    cards = parse_text_snapshot(dump, "2026-03-02.txt").cards
    assert [(c.title, c.abstract) for c in cards] == [("First Title", "First abstract."),
                                                      ("Second Title", "Second abstract.")]


@pytest.mark.parametrize("separated, count", [(False, " "), (True, " "), (False, "\n\n")])
def test_a_comment_count_grouped_by_thousands_is_read(separated, count):
    """Beside its date, or in a block of its own after it, where a copy put a blank line between."""
    gap = "\n" if separated else ""
    text = f"Daily Papers\n\nDec 16\n\nA title\n\nAn abstract.\n\n  • 1,127 authors\n{gap}·\n{gap}May 14{count}1,234\n"
    card = parse_text_snapshot(text, "x.txt").cards[0]
    assert (card.authors, card.comments, card.published) == (1127, 1234, PartialDate(5, 14, None))


@pytest.mark.parametrize("date", ["Foo 14 3", "Mai 14", "May 14 3 comments", "Dezember 2, 2025"])
@pytest.mark.parametrize("separated", [False, True])
def test_a_meta_lines_date_that_is_none_is_told_as_such_at_its_line(date, separated):
    """It was told as "card '• 2 authors · Foo 14 3' has a title but no abstract", or taken for a title."""
    gap = "\n" if separated else ""
    text = f"Daily Papers\n\nDec 16\n\nA title\n\nAn abstract.\n\n  • 2 authors\n{gap}·\n{gap}{date}\n\nB\n\nAbs.\n"
    with pytest.raises(SnapshotError) as caught:
        parse_text_snapshot(text, "x.txt")
    assert str(caught.value) == (f"x.txt:{13 if separated else 11}: '{date}' where a card's date should be: a month "
                                 f"and a day, as in 'May 14' or 'May 14, 2025', then its comment count")


@pytest.mark.parametrize("paragraphs, title", [
    ("Second paragraph says more things here.\n\nThird paragraph.", "Second paragraph says more things here."),
    ("1. First thing to know.\n\nAnd its explanation.", "1. First thing to know."),
])
def test_a_blank_line_inside_an_abstract_is_warned_of_where_it_makes_a_sentence_a_title(paragraphs, title):
    """Read as cards, the paragraphs of an abstract make a paper of their own: the card before
    has no meta line, and the "title" of the next reads as a sentence."""
    text = f"Daily Papers\n\nJan 7\n\nT1\n\nFirst paragraph of it.\n\n{paragraphs}\n\n  • 2 authors\n·\nJan 5 3\n\nT2\n\nA2.\n"
    snapshot = parse_snapshot(text, "x.txt")
    assert [c.title for c in snapshot.cards] == ["T1", title, "T2"]
    assert snapshot.notes == (f"x.txt:9: the card '{title}' has a title that reads as a sentence, after a card without "
                              f"a meta line (who · date): if a blank line split an abstract in two, join its paragraphs",)
    # A card without a meta line before a title that is one, or a title like a sentence after a card with
    # its meta line, is no sign of it.
    for other in (text.replace(f"\n\n{title}\n", "\n\nA Title Of Words\n"),
                  text.replace("of it.\n", "of it.\n\n  • 2 authors\n·\nJan 5\n")):
        assert parse_snapshot(other, "x.txt").notes == ()
    assert all(parse_snapshot(path.read_text(), path.name).notes == () for path in SNAPSHOTS.iterdir())



def _date_lines(text: str) -> list[int]:
    """The line numbers of the cards' meta line dates (after their "·" line)."""
    lines = text.split("\n")
    return [number + 1 for number in range(1, len(lines)) if lines[number - 1] == "·"]


def test_after_a_broken_card_only_the_later_broken_cards_are_problems():
    """digest check's look past a text dump's first problem: the card at fault is blanked out and
    the rest read again.  In the seeds, any one card broken leaves no other problem, and any two
    give exactly the second."""
    text = seed_text("2026-01-19.txt")
    dates = _date_lines(text)
    assert len(dates) > 40
    message = ("'Foo 14' where a card's date should be: a month and a day, as in 'May 14' or 'May 14, 2025', "
               "then its comment count")

    def broken(*cards: int) -> tuple[str, SnapshotError]:
        lines = text.split("\n")
        for card in cards:
            lines[dates[card] - 1] = "Foo 14"
        with pytest.raises(SnapshotError) as caught:
            parse_snapshot("\n".join(lines), "x.txt")
        assert (caught.value.line, caught.value.message) == (dates[min(cards)], message)
        return "\n".join(lines), caught.value

    for first in range(len(dates)):
        rest, error = broken(first)
        assert later_problems(rest, "x.txt", error) == [], first
        for second in {first + 1, first + 7, len(dates) - 1} - {first}:
            if second < len(dates):
                rest, error = broken(first, second)
                later = later_problems(rest, "x.txt", error)
                assert [(e.line, e.message) for e in later] == [(dates[second], message)], (first, second)


def _with_broken_dates(text: str, cards: range) -> tuple[str, SnapshotError]:
    """The text with the meta line dates of these cards (by index) broken, and the first problem."""
    lines = text.split("\n")
    for card in cards:
        lines[_date_lines(text)[card] - 1] = "Foo 14"
    broken = "\n".join(lines)
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot(broken, "x.txt")
    return broken, caught.value


def test_past_the_problems_check_tells_of_a_file_it_says_that_more_follow():
    """check tells 21 problems of a file: it stopped there without a word, and counted too few."""
    text = seed_text("2026-01-19.txt")
    dates = _date_lines(text)
    broken, first = _with_broken_dates(text, range(25))
    *told, more = later_problems(broken, "x.txt", first)
    assert [problem.line for problem in told] == dates[1:21]
    assert (more.line, more.message) == (dates[20], "more problems follow: check tells 21 problems of a file; "
                                                    "mend these and check again")
    broken, first = _with_broken_dates(text, range(21))  # the first and 20 more: all told
    assert [problem.line for problem in later_problems(broken, "x.txt", first)] == dates[1:21]


def test_check_reads_a_text_dump_again_only_so_much_and_says_where_it_stopped(monkeypatch):
    """Past each broken card check reads the whole file again: for a 46 MB dump of 25 broken cards
    that took 73 s and 3 GB (each problem kept its traceback, and with it a whole reading)."""
    import digest.parse

    text = seed_text("2026-01-19.txt")
    dates = _date_lines(text)
    broken, first = _with_broken_dates(text, range(0, 10, 2))
    monkeypatch.setattr(digest.parse, "REREAD_CHARACTERS", 2.5 * len(broken))  # two readings
    *told, more = later_problems(broken, "x.txt", first)
    assert [problem.line for problem in told] == [dates[2], dates[4]]
    assert more.line == dates[4] and more.message.startswith("more problems may follow: past each broken card check "
                                                             "reads the whole file again")
    assert all(problem.__traceback__ is None for problem in told)
    monkeypatch.setattr(digest.parse, "REREAD_CHARACTERS", len(broken) - 1)  # once all the same
    assert [(p.line, p.message[:25]) for p in later_problems(broken, "x.txt", first)] == [
        (dates[2], "'Foo 14' where a card's d"), (dates[2], "more problems may follow:")]
    # A problem of the whole file is no card to look past: no reading again, and no note.
    whole = "Daily Papers\n\nJan 19\n" + "\n".join(f"\nPaper {n}\n\nIts abstract.\n" for n in range(1001))
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot(whole, "x.txt")
    monkeypatch.setattr(digest.parse, "REREAD_CHARACTERS", 1000)
    assert caught.value.message.startswith("not a day's list") and later_problems(whole, "x.txt", caught.value) == []


def test_a_cards_own_problem_before_a_broken_card_later_in_the_file_is_told_and_numbered_as_shown():
    """A card's own problem (a year before arXiv's) is met once the whole file reads: a broken
    card after it came first and hid it, and each card's number counted the cards set aside."""
    text = seed_text("2026-01-19.txt")
    cards = parse_text_snapshot(text, "x.txt").cards
    dates = _date_lines(text)
    lines = text.split("\n")
    for card in (0, 1):  # two cards a year 1 each
        lines[dates[card] - 1] = "May 14, 1"
    lines[dates[-1] - 1] = "Foo 14"  # and the last card's date broken
    broken = "\n".join(lines)
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot(broken, "x.txt")
    assert caught.value.line == dates[-1]
    later = later_problems(broken, "x.txt", caught.value)
    assert [(e.line, e.message) for e in later] == [
        (cards[n].line, f"card {n + 1}, '{shortened(cards[n].title)}', is dated 0001-05-14, before arXiv's first "
                        f"paper (1991): is the year mistyped?")
        for n in (0, 1)]


def test_past_a_cards_own_problem_the_card_before_it_without_a_meta_line_stays_and_counts():
    """A card's own problem (a title too long) names its title line: only that card is set aside,
    not also the card before it that has no meta line, which made every later card one too low."""
    text = seed_text("2025-12-16.txt")
    cards = parse_text_snapshot(text, "x.txt").cards
    lines = text.split("\n")
    for n in (2, 4):  # cards 3 and 5 get titles too long; card 2 has no meta line
        lines[cards[n].line - 1] = "T" * 3000
    broken = "\n".join(lines)
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot(broken, "x.txt")
    assert (caught.value.line, caught.value.opens_card) == (cards[2].line, True)
    later = later_problems(broken, "x.txt", caught.value)
    assert [(e.line, e.message) for e in later] == [
        (cards[4].line, "card 5 has a title of 3,000 characters, where a paper's has a line or two (digest takes up "
                        "to 1,000)")]


def test_a_title_that_reads_as_a_date_is_one_problem_not_two():
    """digest check blanks out a broken card to look past it: a title such as 'Jan 19' is where its
    card starts, not where it ends, so its abstract is no phantom title with no abstract."""
    text = seed_text("2026-01-19.txt")
    cards = parse_text_snapshot(text, "x.txt").cards
    for card in cards[::4]:
        lines = text.split("\n")
        assert lines[card.line - 1] == card.title
        lines[card.line - 1] = "Jan 19"
        broken = "\n".join(lines)
        with pytest.raises(SnapshotError) as caught:
            parse_snapshot(broken, "x.txt")
        assert caught.value.line == card.line
        assert later_problems(broken, "x.txt", caught.value) == [], card.title


@pytest.mark.parametrize("date", ["Jan 5, 1", "Jan 5, 1969", "Dec 31, 1990"])
def test_a_card_dated_before_arxiv_began_is_an_error(date):
    text = seed_text("2026-01-19.txt")
    first = parse_text_snapshot(text, "x.txt").cards[0]
    meta = next(i for i, line in enumerate(text.split("\n")) if i >= first.line and line.startswith(
        ("Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ", "Dec ")))
    lines = text.split("\n")
    lines[meta] = date
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot("\n".join(lines), "x.txt")
    assert caught.value.line == first.line
    assert "before arXiv's first paper (1991): is the year mistyped?" in caught.value.message
    lines[meta] = "Jan 5, 1991"
    assert parse_snapshot("\n".join(lines), "x.txt").cards[0].published == PartialDate(1, 5, 1991)
