"""Tests of digest.text: Markdown escaping (checked by rendering with markdown-it-py) and excerpts."""

from __future__ import annotations

import html
import random
import re
import textwrap
import unicodedata

import pytest
from hypothesis import assume, given, settings, strategies as st
from markdown_it import MarkdownIt

from digest.text import _escape_inline, _pieces, _trim_url, escape_markdown, excerpt, plural, url_runs, who, wrap_text

MD = MarkdownIt("commonmark", {"html": False})

HOSTILE = [
    "<script>alert(1)</script>",
    "[link](javascript:alert(1))",
    "![img](x)",
    "*emph* _u_ **b**",
    "`code`",
    "# heading",
    "1. list",
    "- item",
    "> quote",
    "&amp; &lt;",
    "a\\b",
    "a\\\\b",
    "~~s~~",
    "<http://x>",
    # more of the same kind
    "+ item",
    "* item",
    "1) list",
    "2024. A year to remember",
    "1.5 GHz is fast",
    "---",
    "***",
    "___",
    "## Heading ##",
    "[ref]: http://evil.example/",
    "[text][ref]",
    "<img src=x onerror=alert(1)>",
    "<!-- comment -->",
    "<a href='javascript:alert(1)'>x</a>",
    "&#60;script&#62; &#x3C; &copy;",
    "trailing backslash \\",
    "``double `tick` code``",
    "a <b> c",
    "x * y * z and a_b_c",
    "__init__ and *args",
    "Tables | are | not | here",
    "= setext? =",
    ": definition",
    "\\*already escaped\\*",
    "email <me@example.org>",
    "https://example.org/a_b*c",
    "[![badge](https://x/y.svg)](https://x)",
    "    indented code",
    "9999999999. not a list",
    "Ω ≤ 5 — “quotes” ‘single’ … 😀",
]

FORBIDDEN_TAGS = ["<em", "<strong", "<code", "<script", "<img", "<h1", "<h2", "<ol", "<ul",
                  "<li", "<blockquote", "<hr", "<pre", "<del", "<s>"]
# The one kind of link the escape makes: an http(s) URL of the text, linking to exactly itself.
AUTOLINK = re.compile(r'<a href="(https?://[^"]*)">([^<]*)</a>')


def rendered_text(markdown: str) -> str:
    out = MD.render(markdown)
    assert out.startswith("<p>") and out.endswith("</p>\n"), out
    inner = out[len("<p>"):-len("</p>\n")]
    for href, label in AUTOLINK.findall(inner):
        assert html.unescape(href) == html.unescape(label), out
    inner = AUTOLINK.sub(lambda m: m.group(2), inner)
    assert "<" not in inner, out  # no other tags inside the paragraph
    return html.unescape(inner)


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_itself(text):
    escaped = escape_markdown(text)
    out = MD.render(escaped)
    for tag in FORBIDDEN_TAGS:
        assert tag not in out, (text, escaped, out)
    assert out.count("<a ") == len(AUTOLINK.findall(out)), out
    assert rendered_text(escaped) == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_in_a_sentence(text):
    # the escape also holds in the middle of other text
    escaped = escape_markdown(f"Before {text} after")
    assert rendered_text(escaped) == " ".join(f"Before {text} after".split())


def test_newlines_are_folded():
    text = "Title\n===\n\n- item\n> quote"
    escaped = escape_markdown(text)
    assert "\n" not in escaped
    assert rendered_text(escaped) == "Title === - item > quote"


def test_plain_text_is_unchanged_and_urls_become_autolinks():
    text = "Diffusion models (DMs) reach 3.5x speed-up, 94% accuracy; see https://github.com/x/y."
    assert escape_markdown(text) == text.replace("https://github.com/x/y", "<https://github.com/x/y>")
    assert MD.render(escape_markdown(text)).count('<a href="https://github.com/x/y">') == 1


@pytest.mark.parametrize("text, links", [
    ("Code at https://github.com/Wan-Video/Wan2.1.", ["https://github.com/Wan-Video/Wan2.1"]),
    ("(see https://y.org/p) and https://z.org/w_(x), done", ["https://y.org/p", "https://z.org/w_(x)"]),
    ("https://x.org/a_b_c?x=1&y=2#frag~z!", ["https://x.org/a_b_c?x=1&amp;y=2#frag~z"]),
    ("javascript:alert(1) file:///etc/passwd ftp://x.org data:text/html,x", []),
    ("[![badge](https://x/y.svg)](https://x)", ["https://x/y.svg", "https://x"]),
    ("http:// alone", []),
])
def test_only_http_urls_become_links(text, links):
    out = MD.render(escape_markdown(text))
    assert [href for href, _ in AUTOLINK.findall(out)] == links
    assert rendered_text(escape_markdown(text)) == text


@pytest.mark.parametrize("url", ["https://x.org/%E2%80%AEfdp.exe", "https://xn--80ak6aa92e.com/login",
                                 "https://XN--80AK6AA92E.com/a_b*c(d)", "http://x.org/a%20b%1B%0A%00"])
def test_a_url_markdown_it_would_show_decoded_is_a_link_whose_text_is_the_url(url):
    """markdown-it shows an autolink's text decoded: a direction override (U+202E) that turns
    "fdp.exe" into "exe.pdf", control characters, an xn-- host as its Cyrillic look-alike."""
    for text in (f"Download {url} today.", f"Download!{url} today."):  # "!" and a link: no image
        out = MD.render(escape_markdown(text))
        assert [(href, html.unescape(shown)) for href, shown in AUTOLINK.findall(out)] == [(url, url)], out
        assert rendered_text(escape_markdown(text)) == text


def test_random_punctuation_soup():
    rng = random.Random(20260119)
    alphabet = "ab1 \\`*_[]()<>#|~&!-+=.:;\"'{{{}}}/@%%$^"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))).strip()
        if not text:
            continue
        escaped = escape_markdown(text)
        out = MD.render(escaped)
        for tag in FORBIDDEN_TAGS:
            assert tag not in out, (text, out)
        assert rendered_text(escaped) == " ".join(text.split()), text
        # No Liquid tag (Jekyll) or Hugo shortcode is left for another generator to run.
        assert "{{" not in escaped and "{%" not in escaped, (text, escaped)


def test_no_liquid_tag_survives_in_a_link_either():
    escaped = escape_markdown("see https://x.org/{{7*7}}/{%x%} and {{ site.github }}")
    assert "{{" not in escaped and "{%" not in escaped, escaped
    assert rendered_text(escaped) == "see https://x.org/{{7*7}}/{%x%} and {{ site.github }}"


# --------------------------------------------------------------------------
# excerpt

def test_short_text_unchanged():
    assert excerpt("A short abstract.", 280) == ("A short abstract.", False)
    text = "x" * 280
    assert excerpt(text, 280) == (text, False)


def test_whitespace_is_folded():
    assert excerpt("  A  short\n abstract. ", 280) == ("A short abstract.", False)


def test_cut_at_sentence_end_in_second_half():
    text = "Alpha beta gamma delta. Epsilon zeta eta theta iota kappa lambda mu nu xi omicron."
    # "Alpha beta gamma delta." is 23 characters: a sentence end at 23 >= 40 // 2
    assert excerpt(text, 40) == ("Alpha beta gamma delta.", True)


def test_latest_sentence_end_within_limit_wins():
    text = "One two three. Four five six. Seven eight nine ten eleven twelve."
    # sentence ends at 14 and 29; with limit 40 the later one (29 >= 20) is used
    assert excerpt(text, 40) == ("One two three. Four five six.", True)


def test_sentence_end_in_first_half_is_not_used():
    text = "Hi. Alpha beta gamma delta epsilon zeta eta theta iota kappa."
    # the only sentence end (at 3) is before 30 // 2: cut at the last space within 31 characters
    assert excerpt(text, 30) == ("Hi. Alpha beta gamma delta…", True)


def test_cut_at_word_strips_punctuation():
    text = "aaaa bbbb cccc dddd, eeee ffff gggg"
    assert excerpt(text, 22) == ("aaaa bbbb cccc dddd…", True)


def test_decimal_point_is_not_a_sentence_end():
    text = "Speed-up of 3.5x over the baseline on all tasks and models we tried"
    result, cut = excerpt(text, 40)
    assert cut and result.endswith("…")
    assert result == "Speed-up of 3.5x over the baseline on…"


def test_no_space_cuts_hard():
    text = "x" * 100
    assert excerpt(text, 40) == ("x" * 40 + "…", True)


def test_word_cut_never_in_first_half():
    text = "a " + "y" * 100
    result, cut = excerpt(text, 40)
    assert cut
    assert result == ("a " + "y" * 38 + "…")


@pytest.mark.parametrize("limit", [10, 40, 41, 100, 280])
def test_never_longer_than_limit_plus_one(limit):
    rng = random.Random(limit)
    words = ["LLM", "inference", "is", "fast.", "GPUs", "scale,", "well;", "A", "(MoE)", "x" * 25,
             "Z-Image", "3.5x", "done!", "Why?", "—", "-"]
    for _ in range(300):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 120)))
        result, cut = excerpt(text, limit)
        assert len(result) <= limit + 1, (text, result)
        assert cut == (len(text) > limit)
        if cut:
            assert result.endswith("…") or re.search(r"[.!?]$", result), result
            # the excerpt is a prefix of the text, apart from the ellipsis and stripped punctuation
            assert text.startswith(result.rstrip("…"))
        else:
            assert result == text


# --- wrapping -----------------------------------------------------------------------------------

_WORDS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=90)


@settings(max_examples=400, deadline=None)
@given(st.lists(_WORDS, max_size=40).map(" ".join), st.sampled_from(["", "   ", " " * 8]),
       st.sampled_from([None, "", "   ", "      "]), st.integers(min_value=1, max_value=90))
def test_wrap_is_textwrap_fill(text, indent, hanging, width):
    """The fast wrapper gives exactly textwrap's lines, for any text (long words, odd spaces, indents)
    without wide characters, which textwrap counts as one column each."""
    assume(not any(unicodedata.east_asian_width(c) in "WF" for c in text))
    expected = textwrap.fill(" ".join(text.split()), width=width, initial_indent=indent,
                             subsequent_indent=indent if hanging is None else hanging,
                             break_long_words=False, break_on_hyphens=False)
    assert wrap_text(text, indent, hanging, width) == expected


_WIDE_WORDS = st.text(alphabet=st.sampled_from("大規模言語モデル推論、。（）「」ab1-:") | st.characters(
    blacklist_categories=("Cs",)), min_size=1, max_size=60)


@settings(max_examples=400, deadline=None)
@given(st.lists(_WIDE_WORDS, min_size=1, max_size=20).map(" ".join), st.sampled_from(["", "   "]),
       st.integers(min_value=10, max_value=90))
def test_text_with_wide_characters_is_wrapped_by_its_columns(text, indent, width):
    wrapped = wrap_text(text, indent, None, width)
    assert "".join(wrapped.split()) == "".join(text.split())  # every character, in order
    for line in wrapped.split("\n"):
        body = line[len(indent):]
        columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in body)
        # Over the width only where nothing can break: one word of narrow characters, or wide
        # characters held to their punctuation and brackets.
        assert columns <= width - len(indent) or (" " not in body and len(_pieces(body)) == 1), line


def test_a_japanese_title_and_abstract_wrap_at_72_columns_and_keep_punctuation_on_its_line():
    title = ("1. 大規模言語モデル（LLM）の推論：高速化のための新しい手法「FastInfer」"
             "の提案と評価について [NEW]")
    assert wrap_text(title, "", "   ") == ("1. 大規模言語モデル（LLM）の推論：高速化のための新しい手法「FastInfer」\n"
                                          "   の提案と評価について [NEW]")
    abstract = ("大規模言語モデルの推論を高速化する新しい手法を提案する。"
                "我々の手法は、既存の手法と比較して二倍の速度を達成する。")
    lines = wrap_text(abstract, "   ").split("\n")
    assert len(lines) == 2 and lines[0].endswith("我々の手法")
    assert lines[1] == "   は、既存の手法と比較して二倍の速度を達成する。"


@pytest.mark.parametrize("text", [
    "https://example.org/papers/fast-inference-with-long-contexts",  # a URL
    "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\U0001F44D\U0001F3FD", "か\u3099",  # one character as seen
    "벤치마크를",  # a Korean word: Korean breaks at spaces
])
def test_wide_text_is_not_broken_inside_a_url_a_seen_character_or_a_korean_word(text):
    for width in range(4, 20):
        lines = wrap_text("中" * 30 + " " + text + " 中", "", None, width).split("\n")
        assert any(text in line for line in lines), (width, lines)


def test_a_url_in_chinese_text_stays_whole_and_the_text_around_it_still_wraps():
    url = "https://github.com/example/fast-inference"
    text = "本文提出了一种新的推理加速方法，" * 3 + "代码见" + url + "我们的实验表明" + "该方法显著提高了吞吐量。" * 4
    lines = wrap_text(text, "   ").split("\n")
    assert any(url in line for line in lines) and len(lines) > 3
    assert all(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) <= 72 for line in lines), lines


def test_a_line_neither_starts_with_closing_punctuation_nor_ends_with_an_opening_quote():
    for mark in "”,)。ー":
        for width in range(6, 30):
            lines = wrap_text("中" * 20 + mark + "中" * 5 + "“中" * 5, "", None, width).split("\n")
            assert not any(line[0] in "”,)。ー" or line[-1] == "“" for line in lines), (mark, width, lines)


def test_wrap_keeps_urls_whole_and_indents_later_lines():
    url = "https://digest.example.org/papers/" + "a-very-long-slug-" * 5
    wrapped = wrap_text(f"Read more at {url} today, or later when there is time for it", "", "   ", 40)
    lines = wrapped.split("\n")
    assert "   " + url in lines and all(line.startswith("   ") for line in lines[1:])
    assert all(len(line) <= 40 for line in lines if url not in line)


def _trim_url_by_counting_again(url: str) -> str:
    """The plain way: count the brackets again each time one is taken off (quadratic)."""
    while url and (url[-1] in ".,;:!?'\"" or (url[-1] in ")]}" and url.count(url[-1]) >
                                                url.count({")": "(", "]": "[", "}": "{"}[url[-1]]))):
        url = url[:-1]
    return url


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from("a/.:,;!?'\"()[]{}"), max_size=40))
def test_trimming_a_url_counts_its_brackets_as_the_plain_way_does(tail):
    url = "https://example.org/" + tail
    assert _trim_url(url) == _trim_url_by_counting_again(url)


def test_a_url_ending_in_a_hundred_thousand_brackets_is_trimmed_in_one_pass():
    """Counting again for each bracket took minutes for an abstract of such URLs (a hostile snapshot)."""
    url = "https://x.org/a(b)" + ")" * 100_000 + "."
    assert url_runs(f"see {url} now") == [("see ", False), ("https://x.org/a(b)", True), (url[18:] + " now", False)]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "1", " ", "{", "}", "%", "\\", "`", "*", "_", "[", "]", "<", ">", "#",
                                  "|", "~", "&", "(", ")", "!", "-", ";", "&amp;", "&#1;"]) | st.characters(),
                max_size=40).map("".join))
def test_inline_escaping_by_table_is_the_one_substitution(text):
    """The table and the passes after it escape what one substitution of the whole rule escapes."""
    rule = re.compile(r"[\\`*_\[\]>#{]|[~@]|(?<=\{)%|&(?=[A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9a-fA-F]+;)"
                      r"|<(?!\s)|:(?=//)|(?<=(?<![A-Za-z0-9])[wW][wW][wW])\.")
    entities = {"&": "&amp;", "<": "&lt;", "%": "&#37;", "~": "&#126;", "@": "&#64;", ":": "&#58;", ".": "&#46;"}
    expected = rule.sub(lambda found: entities.get(found[0], "\\" + found[0]), text)
    assert _escape_inline(text) == expected


def test_counts_are_grouped_by_thousands_as_the_hub_prints_them():
    assert [plural(n, "upvote") for n in (None, 0, 1, 999, 1234, 1127000)] == \
        ["", "0 upvotes", "1 upvote", "999 upvotes", "1,234 upvotes", "1,127,000 upvotes"]
    assert plural(2, "paper", "papers in all") == "2 papers in all"
    assert [who(None, n) for n in (None, 1, 1127)] == ["", "1 author", "1,127 authors"]  # a card's, as its page's


@pytest.mark.parametrize("text, escaped", [
    ("Code at <https://github.com/x/y>.", "Code at &lt;<https://github.com/x/y>\\>."),  # Hugo made "<<" a «
    ("a < b and c <d", "a < b and c &lt;d"),
    ("~10x faster, ~5x smaller", "&#126;10x faster, &#126;5x smaller"),  # GitHub strikes out between two
    ("see https://x.org/~me for a~b", "see <https://x.org/~me> for a&#126;b"),
    ("mail me@evil.com, see www.evil.com/*, ftp://evil.com or HTTPS://EVIL.COM",  # GitHub's and Hugo's links
     "mail me&#64;evil.com, see www&#46;evil.com/\\*, ftp&#58;//evil.com or HTTPS&#58;//EVIL.COM"),
    ("https://good.org&#64;evil.org", "https&#58;//good.org&amp;\\#64;evil.org"),  # an entity: no URL
    ("===", "&#61;=="), ("= a sum", "= a sum"), (": a definition", "&#58; a definition"),
    ("&#12345678; and &#x1234567;", "&amp;\\#12345678; and &amp;\\#x1234567;"),
])
def test_markdown_escapes_only_what_a_markdown_reader_would_take_for_syntax(text, escaped):
    import markdown
    from bs4 import BeautifulSoup

    assert escape_markdown(text) == escaped
    for rendered in (MD.render(escape_markdown(text)), markdown.markdown(escape_markdown(text))):
        assert BeautifulSoup(rendered, "html.parser").get_text().strip() == text, rendered
