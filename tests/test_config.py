"""Tests of digest.config: site.yaml / topics.yaml validation and phrase patterns."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from digest.config import (SiteConfig, ascii_phrase_pattern, ascii_url, load_config, load_yaml, parse_email_config,
                           parse_site_config, phrase_pattern, regex_needle)
from digest.errors import ConfigError, ConfigErrors, DigestError

CONTENT = Path(__file__).resolve().parent.parent / "content"

GOOD_SITE = "title: My Digest\nbase_url: https://example.org/digest\n"
GOOD_TOPICS = """\
topics:
  - slug: gpu-kernels
    title: GPU kernels
    description: Fast code.
    min_score: 2
    rules:
      - kernel
      - phrase: gpu
        weight: 2
      - regex: '\\bCUDA\\b'
  - slug: moe
    title: Mixture of experts
    rules:
      - mixture of experts
"""


def write(folder: Path, site: str = GOOD_SITE, topics: str = GOOD_TOPICS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.yaml").write_text(site, encoding="utf-8")
    (folder / "topics.yaml").write_text(topics, encoding="utf-8")
    return folder


def problems(folder: Path) -> list[ConfigError]:
    """Every problem load_config reports for the folder (it must report at least one)."""
    with pytest.raises(ConfigError) as info:
        load_config(folder)
    error = info.value
    assert isinstance(error, DigestError)
    return list(error.errors) if isinstance(error, ConfigErrors) else [error]


def only_problem(folder: Path) -> ConfigError:
    found = problems(folder)
    assert len(found) == 1, [str(e) for e in found]
    return found[0]


# --------------------------------------------------------------------------
# Good configurations

def test_bundled_content_loads():
    config = load_config(CONTENT)
    assert config.site.title == "Trending Papers Digest"
    assert config.site.base_url == "https://digest.example.org/"
    assert config.site.language == "en"
    assert (config.site.feed_items, config.site.topic_feed_items, config.site.excerpt_chars) == (30, 50, 280)
    assert [t.slug for t in config.topics] == [
        "llm-inference", "training-at-scale", "gpu-kernels-compilers", "quantization-low-precision",
        "mixture-of-experts", "image-video-generation", "diffusion-language-models",
        "hardware-performance", "efficiency-energy"]
    llm = config.topics[0]
    assert llm.title == "LLM inference and serving"
    assert llm.min_score == 2
    assert llm.rules[0].label == "inference" and llm.rules[0].weight == 1.0
    assert llm.rules[1].label == "serving" and llm.rules[1].weight == 2
    assert llm.rules[3].label == "/\\bKVCache\\b/"


def test_minimal_good_config(tmp_path):
    config = load_config(write(tmp_path))
    assert config.site.title == "My Digest"
    assert config.site.base_url == "https://example.org/digest/"  # a trailing slash is added
    assert config.site.url("/dates/2026-01-19/") == "https://example.org/digest/dates/2026-01-19/"
    assert config.site.feed_items == 30  # default
    gpu, moe = config.topics
    assert (gpu.slug, gpu.title, gpu.description, gpu.min_score) == ("gpu-kernels", "GPU kernels", "Fast code.", 2)
    assert [r.label for r in gpu.rules] == ["kernel", "gpu", "/\\bCUDA\\b/"]
    assert [r.weight for r in gpu.rules] == [1.0, 2, 1.0]
    assert gpu.rules[2].pattern.search("a cuda kernel")  # regexes ignore case
    assert moe.min_score == 1.0 and moe.description == ""


@pytest.mark.parametrize("written", ["007", "12:30", "1.10", "0x1F", "1e3", "-0", ".5", "1_000"])
def test_a_text_setting_that_yaml_reads_as_a_number_keeps_the_text_as_written(tmp_path, written):
    site = f"title: {written}\nbase_url: https://example.org/\nfeed_items: 0x1F\ndescription: {written}\n"
    topics = f"- slug: a\n  title: {written}\n  rules: [{written}, phrase: {written}]\n  min_score: 1.50\n"
    config = load_config(write(tmp_path, site, topics))
    assert (config.site.title, config.site.description) == (written, written)
    [topic] = config.topics
    assert topic.title == written and [rule.label for rule in topic.rules] == [written, written]
    # Number settings are numbers, of Python's own types (they are pickled into the build cache).
    assert (config.site.feed_items, topic.min_score) == (31, 1.5)
    assert type(config.site.feed_items) is int and type(topic.min_score) is float


def test_topics_may_be_a_bare_list(tmp_path):
    topics = "- slug: a\n  title: A\n  rules: [alpha]\n"
    config = load_config(write(tmp_path, topics=topics))
    assert [t.slug for t in config.topics] == ["a"]


# --------------------------------------------------------------------------
# site.yaml problems: each names the file and the key

def test_missing_title(tmp_path):
    folder = write(tmp_path, site="base_url: https://example.org/\n")
    error = only_problem(folder)
    assert error.path == str(folder / "site.yaml")
    assert error.message.startswith("title:")
    assert "required" in error.message
    assert str(error) == f"{folder / 'site.yaml'}: title: is required"


@pytest.mark.parametrize("url", ["ftp://example.org/", "example.org/digest", "/digest/",
                                 "https:///nohost", "https://example.org/?page=1", "javascript:alert(1)"])
def test_base_url_must_be_http(tmp_path, url):
    folder = write(tmp_path, site=f"title: T\nbase_url: '{url}'\n")
    error = only_problem(folder)
    assert error.path == str(folder / "site.yaml")
    assert error.message.startswith("base_url:")
    assert "http" in error.message
    assert url in error.message


def test_missing_base_url(tmp_path):
    error = only_problem(write(tmp_path, site="title: T\n"))
    assert error.message.startswith("base_url:") and "required" in error.message


def test_unknown_key_lists_allowed_keys(tmp_path):
    folder = write(tmp_path, site=GOOD_SITE + "colour: red\n")
    error = only_problem(folder)
    assert error.path == str(folder / "site.yaml")
    assert error.message.startswith("colour:")
    assert "unknown key" in error.message
    allowed = re.search(r"expected one of: ([^)]*)\)", error.message)
    assert allowed, error.message
    listed = allowed.group(1).split(", ")
    assert {"title", "base_url", "description", "feed_items", "topic_feed_items", "excerpt_chars"} <= set(listed)
    assert listed == sorted(listed)


@pytest.mark.parametrize("value, words", [
    ("ten", "whole number"),
    ("2.5", "whole number"),
    ("true", "whole number"),
    ("0", "at least 1"),
    ("-3", "at least 1"),
])
def test_feed_items_must_be_positive_int(tmp_path, value, words):
    folder = write(tmp_path, site=GOOD_SITE + f"feed_items: {value}\n")
    error = only_problem(folder)
    assert error.path == str(folder / "site.yaml")
    assert error.message.startswith("feed_items:")
    assert words in error.message


def test_invalid_yaml_names_the_line(tmp_path):
    folder = write(tmp_path, site="title: T\nbase_url: https://example.org/\n  bad: indentation\n")
    error = only_problem(folder)
    assert error.path == str(folder / "site.yaml")
    assert error.line == 3
    assert "invalid YAML" in error.message
    assert str(error).startswith(f"{folder / 'site.yaml'}:3: ")


def test_invalid_yaml_in_topics_names_the_line(tmp_path):
    folder = write(tmp_path, topics="topics:\n  - slug: a\n    title: A\n\trules: [x]\n")
    error = only_problem(folder)
    assert error.path == str(folder / "topics.yaml")
    assert error.line == 4


def test_a_key_given_twice_is_an_error_that_names_its_line(tmp_path):
    folder = write(tmp_path, site=GOOD_SITE + "feed_items: 5\ntitle: Another\n")
    error = only_problem(folder)
    assert (error.path, error.line, error.message) == (str(folder / "site.yaml"), 4,
                                                       "invalid YAML: key 'title' is given twice")
    twice_in_a_topic = topics_yaml(topic("a", "[x]") + "    title: Again\n")
    error = only_problem(write(tmp_path / "topics", topics=twice_in_a_topic))
    assert (error.line, error.message) == (5, "invalid YAML: key 'title' is given twice")
    # A key a merge brought in may be given again: that is how a merge is overridden.
    merged = write(tmp_path / "merged", topics="topics:\n  - &first {slug: a, title: A, rules: [x]}\n"
                                               "  - <<: *first\n    slug: b\n")
    assert [t.slug for t in load_config(merged).topics] == ["a", "b"]


def test_missing_file(tmp_path):
    tmp_path.joinpath("site.yaml").write_text(GOOD_SITE, encoding="utf-8")
    error = only_problem(tmp_path)
    assert error.path == str(tmp_path / "topics.yaml")
    assert "not found" in error.message


def test_site_must_be_a_mapping(tmp_path):
    error = only_problem(write(tmp_path, site="- title\n- base_url\n"))
    assert error.path == str(tmp_path / "site.yaml")
    assert "mapping" in error.message


# --------------------------------------------------------------------------
# topics.yaml problems

def topics_yaml(*items: str) -> str:
    return "topics:\n" + "".join(items)


def topic(slug: str, rules: str = "[alpha]") -> str:
    return f"  - slug: {slug}\n    title: T\n    rules: {rules}\n"


def test_more_topics_than_a_site_can_list_is_one_error(tmp_path):
    error = only_problem(write(tmp_path, topics=topics_yaml(*(topic(f"t{i}") for i in range(201)))))
    assert error.path == str(tmp_path / "topics.yaml")
    assert error.message == "topics: 201 topics; at most 200"
    only_two_hundred = write(tmp_path / "ok", topics=topics_yaml(*(topic(f"t{i}") for i in range(200))))
    assert len(load_config(only_two_hundred).topics) == 200


def test_rules_reused_by_many_topics_count_for_each_and_are_refused_quickly(tmp_path):
    """One list of 500 rules given every topic with a YAML alias: 100,000 rules, read in a moment."""
    rules = "[" + ", ".join(f"phrase{i}" for i in range(500)) + "]"
    text = "topics:\n" + topic("t0", f"&rules {rules}") + "".join(topic(f"t{i}", "*rules") for i in range(1, 200))
    start = time.perf_counter()
    error = only_problem(write(tmp_path, topics=text))
    assert time.perf_counter() - start < 2
    assert error.message == "topics: 100,000 rules in all; at most 5,000"
    ten = "topics:\n" + topic("t0", f"&rules {rules}") + "".join(topic(f"t{i}", "*rules") for i in range(1, 10))
    assert sum(len(t.rules) for t in load_config(write(tmp_path / "ok", topics=ten)).topics) == 5000


def test_a_slug_too_long_for_a_file_name(tmp_path):
    error = only_problem(write(tmp_path, topics=topics_yaml(topic("a" * 260))))
    assert error.message == "topics[0].slug: is 260 characters long; at most 100"
    assert load_config(write(tmp_path, topics=topics_yaml(topic("a" * 100)))).topics[0].slug == "a" * 100


@pytest.mark.parametrize("slug", ["GPU-Kernels", "gpu kernels", "gpu--kernels", "-gpu", "gpu_kernels", "é"])
def test_bad_slug(tmp_path, slug):
    folder = write(tmp_path, topics=topics_yaml(topic(f"'{slug}'")))
    error = only_problem(folder)
    assert error.path == str(folder / "topics.yaml")
    assert error.message.startswith("topics[0].slug:")
    assert "not a slug" in error.message
    assert slug in error.message


def test_duplicate_slug(tmp_path):
    folder = write(tmp_path, topics=topics_yaml(topic("a"), topic("b"), topic("a")))
    error = only_problem(folder)
    assert error.path == str(folder / "topics.yaml")
    assert error.message.startswith("topics[2].slug:")
    assert "'a'" in error.message and "earlier" in error.message


def test_reserved_slug_other(tmp_path):
    folder = write(tmp_path, topics=topics_yaml(topic("a"), topic("other")))
    error = only_problem(folder)
    assert error.message.startswith("topics[1].slug:")
    assert "reserved" in error.message


def test_missing_topic_slug_and_title(tmp_path):
    folder = write(tmp_path, topics="topics:\n  - rules: [x]\n")
    found = problems(folder)
    messages = sorted(e.message for e in found)
    assert len(found) == 2
    assert messages[0].startswith("topics[0].slug:") and "required" in messages[0]
    assert messages[1].startswith("topics[0].title:") and "required" in messages[1]


def test_rule_with_phrase_and_regex(tmp_path):
    folder = write(tmp_path, topics=topics_yaml(topic("a", "[{phrase: gpu, regex: 'gpu'}]")))
    error = only_problem(folder)
    assert error.path == str(folder / "topics.yaml")
    assert error.message.startswith("topics[0].rules[0]:")
    assert "phrase" in error.message and "regex" in error.message and "exactly one" in error.message


def test_rule_with_neither_phrase_nor_regex(tmp_path):
    folder = write(tmp_path, topics=topics_yaml(topic("a", "[alpha, {weight: 2}]")))
    error = only_problem(folder)
    assert error.message.startswith("topics[0].rules[1]:")


def test_invalid_regex(tmp_path):
    folder = write(tmp_path, topics=topics_yaml(topic("a", "[alpha, {regex: '(unclosed'}]")))
    error = only_problem(folder)
    assert error.path == str(folder / "topics.yaml")
    assert error.message.startswith("topics[0].rules[1].regex:")
    assert "invalid regular expression" in error.message


def test_unknown_rule_and_topic_keys(tmp_path):
    folder = write(tmp_path, topics=topics_yaml(
        "  - slug: a\n    title: A\n    colour: red\n    rules: [{phrase: x, wieght: 2}]\n"))
    messages = sorted(e.message for e in problems(folder))
    assert len(messages) == 2
    assert messages[0].startswith("topics[0].colour:") and "min_score" in messages[0]
    assert messages[1].startswith("topics[0].rules[0].wieght:") and "weight" in messages[1]


def test_empty_rules(tmp_path):
    error = only_problem(write(tmp_path, topics=topics_yaml(topic("a", "[]"))))
    assert error.message.startswith("topics[0].rules:")


def test_several_problems_reported_together(tmp_path):
    site = "base_url: ftp://example.org/\nfeed_items: 0\n"
    topics = topics_yaml(topic("Bad Slug"), topic("b", "[{regex: '[z-a]'}]"), topic("b"))
    folder = write(tmp_path, site=site, topics=topics)
    with pytest.raises(ConfigErrors) as info:
        load_config(folder)
    errors = info.value.errors
    site_path, topics_path = str(folder / "site.yaml"), str(folder / "topics.yaml")
    found = {(e.path, e.message.split(":")[0]) for e in errors}
    assert found == {
        (site_path, "title"), (site_path, "base_url"), (site_path, "feed_items"),
        (topics_path, "topics[0].slug"), (topics_path, "topics[1].rules[0].regex"),
        (topics_path, "topics[2].slug"),
    }
    assert len(errors) == 6
    text = str(info.value)
    assert len(text.splitlines()) == 6
    # each at its setting's line; the missing title at none
    assert sorted(((e.path, e.line or 0, e.message.split(":")[0]) for e in errors)) == [
        (site_path, 0, "title"), (site_path, 1, "base_url"), (site_path, 2, "feed_items"),
        (topics_path, 2, "topics[0].slug"), (topics_path, 7, "topics[1].rules[0].regex"),
        (topics_path, 8, "topics[2].slug")]
    for line in text.splitlines():
        assert re.match(rf"({re.escape(site_path)}|{re.escape(topics_path)})(:\d+)?: ", line), line


def test_a_wrong_value_is_told_at_its_line(tmp_path):
    site = GOOD_SITE + ("description: Fine.\nfeed_items: lots\nemail:\n  # the sender\n  from: not an address\n"
                        "  colour: red\n  smtp_port: 99999\n")
    topics = ("topics:\n  - slug: a\n    title: A\n    rules:\n      - alpha\n      - phrase: beta\n"
              "        weight: heavy\n  - slug: b\n    rules: [gamma]\n")
    folder = write(tmp_path, site=site, topics=topics)
    found = sorted((e.path.rsplit("/", 1)[1], e.line, e.message.split(":")[0]) for e in problems(folder))
    assert found == [("site.yaml", 4, "feed_items"), ("site.yaml", 7, "email.from"), ("site.yaml", 8, "email.colour"),
                     ("site.yaml", 9, "email.smtp_port"),
                     # a missing title: the line of the topic it is missing from
                     ("topics.yaml", 7, "topics[0].rules[1].weight"), ("topics.yaml", 8, "topics[1].title")]
    with pytest.raises(ConfigErrors) as info:
        load_config(folder)
    assert f"{folder / 'site.yaml'}:4: feed_items: must be a whole number, not 'lots'" in str(info.value).splitlines()


def test_a_wrong_value_in_a_bare_list_of_topics_is_told_at_its_line(tmp_path):
    error = only_problem(write(tmp_path, topics="- slug: a\n  title: A\n  rules:\n    - {regex: '[z-a]'}\n"))
    assert (error.line, error.message.split(":")[0]) == (4, "topics[0].rules[0].regex")


def test_lines_of_settings_through_aliases_even_recursive_ones(tmp_path):
    # A list that holds itself is no text; telling where must not go round it for ever.
    error = only_problem(write(tmp_path, site=GOOD_SITE + "author: &me [1, *me]\n"))
    assert (error.line, error.message) == (3, "author: must be text, not list")
    merged = "topics:\n  - &first {slug: a, title: A, rules: [x]}\n  - <<: *first\n    slug: b\n    min_score: x\n"
    error = only_problem(write(tmp_path / "merged", topics=merged))
    assert (error.line, error.message.split(":")[0]) == (5, "topics[1].min_score")


# --------------------------------------------------------------------------
# phrase_pattern (docstring: case-insensitive whole words; spaces or hyphens between
# words; the last word may take a plural ending)

@pytest.mark.parametrize("phrase, text", [
    ("mixture of experts", "Mixture-of-Experts"),
    ("mixture of experts", "a MIXTURE OF EXPERTS model"),
    ("mixture of experts", "sparse mixture  of\texperts"),
    ("mixture of experts", "mixture - of - experts"),
    ("kernel", "kernels"),
    ("fine-tuning", "fine tuning"),
    ("fine-tuning", "Fine-Tuning"),
    ("kernel", "GPU Kernel."),
    ("kernel", "(kernel)"),
    ("kv cache", "KV-caches"),
    ("kv cache", "the kv cache"),
    ("GEMM", "batched gemms"),
    ("C++", "written in C++ for speed"),
    ("batch", "batches"),
])
def test_phrase_pattern_matches(phrase, text):
    assert phrase_pattern(phrase).search(text), (phrase, text)


@pytest.mark.parametrize("phrase, text", [
    ("kernel", "kernelized"),
    ("kernel", "subkernel"),
    ("kernel", "kernel_size"),
    ("mixture of experts", "mixture of expertise"),
    ("mixture of experts", "mixtureofexperts"),
    ("moe", "moest"),
    ("gpu", "gpus2"),
    ("inference", "inferenced"),
])
def test_phrase_pattern_does_not_match(phrase, text):
    assert phrase_pattern(phrase).search(text) is None, (phrase, text)


def test_phrase_pattern_found_text():
    assert phrase_pattern("mixture of experts").search("A Mixture-of-Experts LLM").group(0) == "Mixture-of-Experts"
    assert phrase_pattern("kernel").search("fused kernels!").group(0) == "kernels"
    # regex characters in a phrase are literal
    assert phrase_pattern("a.b").search("axb") is None
    assert phrase_pattern("a.b").search("a.b")


# ascii_phrase_pattern: the fast form topic matching uses on ASCII text must find exactly what
# phrase_pattern finds, lowercased.

_ASCII_TEXT = st.text(alphabet="aAbBeEsSkK_0- \t\n\x1c.+()", max_size=60)
_PHRASES = st.sampled_from(["a", "ab", "kes", "a b", "a-b-es", "k", "Ke", "b.a", "a+", "_a", "0 k", "e s", "sa"])


@settings(max_examples=2000, deadline=None)
@given(_PHRASES, _ASCII_TEXT)
def test_ascii_phrase_pattern_finds_what_the_phrase_pattern_finds(phrase, text):
    expected = phrase_pattern(phrase).search(text)
    found = ascii_phrase_pattern(phrase).search(text.lower())
    assert (found.group(0) if found else None) == (expected.group(0).lower() if expected else None)


@pytest.mark.parametrize("phrase, text", [
    ("mixture of experts", "A Mixture-of-Experts LLM"), ("kernel", "subkernels and Kernels"),
    ("kv cache", "the KV-caches"), ("C++", "in C++ for"), ("a.b", "axb a.b"), ("kernel", "kernel_size"),
])
def test_ascii_phrase_pattern_on_real_phrases(phrase, text):
    expected = phrase_pattern(phrase).search(text)
    found = ascii_phrase_pattern(phrase).search(text.lower())
    assert (found.group(0) if found else None) == (expected.group(0).lower() if expected else None)


def test_a_phrase_with_a_word_beyond_ascii_has_no_fast_form():
    assert ascii_phrase_pattern("naïve bayes") is None


_REGEXES = [r"\bKVCache\b", r"\bZeRO\b", r"\b(FP|INT|MX)(4|6|8)\b", r"\bW\d+A\d+\b", r"\bMoE\b", r"\bdLLMs?\b",
            r"sparse (kv|attention)", r"(?x) k v \s cache", r"a|b", r"\bKiss\b", r"(?-i:Zero)x"]


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(_REGEXES), st.text(alphabet="kKvVcCaAhHeEzZrRoOmMdDlLsSiIwW0123456789 \u212aıİſ_-.(", max_size=40))
def test_a_regex_rule_never_matches_text_without_its_needle(regex, text):
    """The needle is only a shortcut: a text the regex (ignoring case, as rules do) matches
    always holds it, lowercased, also with the letters that match others when case is ignored."""
    needle = regex_needle(regex)
    if re.search(regex, text, re.IGNORECASE):
        assert needle in text.lower(), (regex, text, needle)


def test_regex_needles_of_the_bundled_rules():
    assert [regex_needle(r) for r in _REGEXES[:6]] == ["kvcache", "zero", "", "w", "moe", "dllm"]
    assert regex_needle(r"a|b") == "" and regex_needle(r"\bKiss\b") == "k"


# --------------------------------------------------------------------------
# Hostile files and values: each a one-line ConfigError naming the file (and key), never a
# traceback, a hang or a memory blow-up

def one_line(error: ConfigError) -> str:
    text = str(error)
    assert "\n" not in text and "Traceback" not in text, text
    return text


@pytest.mark.parametrize("name", ["site.yaml", "topics.yaml"])
def test_a_config_file_that_is_a_folder(tmp_path, name):
    folder = write(tmp_path)
    (folder / name).unlink()
    (folder / name).mkdir()
    error = only_problem(folder)
    assert error.path == str(folder / name)
    assert "cannot read" in one_line(error) and "directory" in error.message.lower()


def test_a_config_file_that_is_a_link_loop(tmp_path):
    folder = write(tmp_path)
    (folder / "site.yaml").unlink()
    (folder / "site.yaml").symlink_to("site.yaml")
    error = only_problem(folder)
    assert error.path == str(folder / "site.yaml")
    assert "cannot read" in one_line(error)


def test_a_config_file_linked_to_an_endless_stream(tmp_path):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    folder = write(tmp_path)
    (folder / "topics.yaml").unlink()
    (folder / "topics.yaml").symlink_to("/dev/zero")
    error = only_problem(folder)
    assert error.path == str(folder / "topics.yaml")
    assert "larger than 10 MB" in one_line(error)


def test_a_config_file_that_is_a_named_pipe_does_not_wait(tmp_path):
    folder = write(tmp_path)
    (folder / "site.yaml").unlink()
    os.mkfifo(folder / "site.yaml")
    error = only_problem(folder)
    assert error.path == str(folder / "site.yaml")
    assert "not a regular file" in one_line(error)


def test_non_utf8_config_names_the_line(tmp_path):
    folder = write(tmp_path)
    (folder / "site.yaml").write_bytes(GOOD_SITE.encode() + b"description: caf\xe9\n")
    error = only_problem(folder)
    assert error.line == 3 and "not UTF-8" in one_line(error)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\ufffe"])
def test_a_character_yaml_does_not_allow_is_told_at_its_line(tmp_path, character):
    folder = write(tmp_path, site=GOOD_SITE + "description: caf\u00e9\n" + f"author: a{character}b\n")
    error = only_problem(folder)
    line = GOOD_SITE.count("\n") + 2
    assert error.line == line and one_line(error).startswith(f"{folder / 'site.yaml'}:{line}: invalid YAML: ")
    # "control" or "special characters", as libyaml or PyYAML's own reader has it
    assert error.message.endswith(f" characters are not allowed (U+{ord(character):04X})"), error.message

@pytest.mark.parametrize("extra, words", [
    ("feed_items: " + "9" * 5000 + "\n", "a number of thousands of digits"),
    # Hex, octal and binary pass Python's limit on reading digits, and fail where printed.
    ("feed_items: 0x" + "F" * 5000 + "\n", "a number of thousands of digits"),
    ("title: 0b" + "1" * 20000 + "\n", "a number of thousands of digits"),
    ("feed_items: -0" + "7" * 4000 + "\n", "a number of thousands of digits"),  # octal, as YAML 1.1 writes it
    ("built: 2024-13-45\n", "month"),
])
def test_a_value_the_yaml_loader_cannot_build(tmp_path, extra, words):
    site = "".join(line for line in GOOD_SITE.splitlines(keepends=True) if line.split(":")[0] != extra.split(":")[0])
    folder = write(tmp_path, site=site + extra)
    error = only_problem(folder)
    assert error.path == str(folder / "site.yaml")
    assert "invalid YAML" in one_line(error) and words in error.message
    assert len(error.message) < 300
    assert error.line == site.count("\n") + 1  # the value's, last in the file


@pytest.mark.parametrize("value", ["1" * 5000, "2024-13-45"])
def test_a_value_the_yaml_loader_cannot_build_is_told_at_its_line_within_a_mapping(tmp_path, value):
    folder = write(tmp_path, site=GOOD_SITE + f"email:\n  abstract_chars: {value}\n  smtp_port: 25\n")
    error = only_problem(folder)
    assert error.line == GOOD_SITE.count("\n") + 2, one_line(error)


def test_deeply_nested_yaml(tmp_path):
    folder = write(tmp_path, site=GOOD_SITE + "x: " + "[" * 100_000 + "]" * 100_000 + "\n")
    error = only_problem(folder)
    assert error.path == str(folder / "site.yaml") and "invalid YAML" in one_line(error)


BILLION_LAUGHS = "x0: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"x{i}: &{b} [{', '.join(['*' + a] * 9)}]\n" for i, (a, b) in enumerate(zip("abcdefgh", "bcdefghi"), 1))


@pytest.mark.parametrize("key", ["feed_items", "fetch_timeout", "title", "language"])
def test_billion_laughs_gives_a_quick_short_error(tmp_path, key):
    site = "".join(line for line in GOOD_SITE.splitlines(keepends=True) if not line.startswith(f"{key}:"))
    folder = write(tmp_path, site=site + BILLION_LAUGHS + f"{key}: *i\n")
    start = time.perf_counter()
    found = problems(folder)
    assert time.perf_counter() - start < 0.5
    messages = [one_line(e) for e in found]
    last_line = len((folder / "site.yaml").read_text().splitlines())
    assert any(f"site.yaml:{last_line}: {key}:" in m for m in messages), messages
    assert all(len(m) < 500 for m in messages), messages


def test_billion_laughs_in_email_settings(tmp_path):
    (tmp_path / "site.yaml").write_text(BILLION_LAUGHS + "email: {smtp_port: *i, abstract_chars: *i, to: *i}\n")
    data = load_yaml(tmp_path / "site.yaml")
    start = time.perf_counter()
    with pytest.raises(ConfigErrors) as info:
        parse_email_config(data, SiteConfig("T", "https://example.org/"), tmp_path / "site.yaml")
    assert time.perf_counter() - start < 0.5
    messages = sorted(one_line(e) for e in info.value.errors)
    assert [m.split(": ")[1] for m in messages] == ["email.abstract_chars", "email.smtp_port", "email.to"]
    assert all(len(m) < 500 for m in messages), messages


def test_billion_laughs_in_topics(tmp_path):
    # a bare list of topics: the bomb's anchors as list items, then a topic made of it
    bomb = "".join(f"- {line}\n" for line in BILLION_LAUGHS.splitlines())
    folder = write(tmp_path, topics=bomb + "- slug: a\n  title: A\n  min_score: *i\n  rules: *i\n")
    start = time.perf_counter()
    messages = [one_line(e) for e in problems(folder)]
    assert time.perf_counter() - start < 0.5
    assert any("topics.yaml:12: topics[9].min_score:" in m for m in messages), messages
    assert all(len(m) < 500 for m in messages), messages


@pytest.mark.parametrize("value", ["''", "'   '"])
@pytest.mark.parametrize("key", ["title", "base_url"])
def test_required_site_text_must_not_be_empty(tmp_path, key, value):
    site = "\n".join(f"{key}: {value}" if line.startswith(key + ":") else line for line in GOOD_SITE.splitlines())
    error = only_problem(write(tmp_path, site=site + "\n"))
    assert error.message == f"{key}: must not be empty"


@pytest.mark.parametrize("value", ['"\\u200b\\ufeff"', '"\\u3164 \\u2800"'])
def test_a_required_text_of_invisible_characters_only_is_empty(tmp_path, value):
    """A title of zero-width spaces or fillers shows nothing, as an empty one, which is refused."""
    site = "\n".join(f"title: {value}" if line.startswith("title:") else line for line in GOOD_SITE.splitlines())
    error = only_problem(write(tmp_path, site=site + "\n"))
    assert error.message.startswith("title: must not be empty: it holds invisible characters only ('\\u"), error.message
    item = topic("a").replace("title: T\n", f"title: {value}\n")
    error = only_problem(write(tmp_path, topics=topics_yaml(item)))
    assert error.message.startswith("topics[0].title: must not be empty: it holds invisible characters only")


@pytest.mark.parametrize("key", ["from", "to", "smtp_host"])
def test_given_email_settings_must_not_be_empty(tmp_path, key):
    error = only_problem(write(tmp_path, site=GOOD_SITE + f"email:\n  {key}: ''\n"))
    assert error.message == f"email.{key}: must not be empty"


@pytest.mark.parametrize("escape, char, shown", [
    ("\\x01", "\x01", "the control character U+0001"), ("\\x7f", "\x7f", "the control character U+007F"),
    ("\\x85", "\x85", "the control character U+0085"), ("\\e", "\x1b", "the control character U+001B"),
    ("\\ufffe", "\ufffe", "the noncharacter U+FFFE"), ("\\uffff", "\uffff", "the noncharacter U+FFFF"),
    ("\\r", "\r", "a line break (U+000D)"), ("\\n", "\n", "a line break (U+000A)"),
    ("\\L", "\u2028", "a line break (U+2028)"), ("\\P", "\u2029", "a line break (U+2029)"),
    ("\\u202e", "\u202e", "the direction control U+202E"), ("\\u2066", "\u2066", "the direction control U+2066"),
])
@pytest.mark.parametrize("key", ["title", "author", "language", "description", "email.from"])
def test_control_characters_in_site_text(tmp_path, key, escape, char, shown):
    value = f'"Digest {escape} x"'  # a YAML escape in a double-quoted string
    if key == "title":
        site = f"title: {value}\nbase_url: https://example.org/\n"
    elif key == "email.from":
        site = GOOD_SITE + f"email:\n  from: {value}\n"
    else:
        site = GOOD_SITE + f"{key}: {value}\n"
    folder = write(tmp_path, site=site)
    if key == "description" and char in "\n\u2028\u2029":
        assert load_config(folder).site.description == f"Digest {char} x"  # line breaks are fine there
        return
    error = only_problem(folder)
    assert error.path == str(folder / "site.yaml")
    line = {"title": 1, "email.from": 4}.get(key, 3)
    why = ("which turns the text after it around on pages and in e-mails" if "direction" in shown
           else "which feeds and e-mail cannot carry")
    assert one_line(error).endswith(f"site.yaml:{line}: {key}: holds {shown}, {why}: {'Digest ' + char + ' x'!r}")


def test_control_characters_and_surrogates_in_parsed_values(tmp_path):
    path = tmp_path / "site.yaml"
    with pytest.raises(ConfigErrors) as info:
        parse_site_config({"title": "a\ud800", "base_url": "https://x.org/", "author": "b\x00"}, path)
    messages = sorted(e.message for e in info.value.errors)
    assert messages[0].startswith("author: holds the control character U+0000")
    assert messages[1].startswith("title: holds the lone surrogate U+D800")


def test_control_characters_in_topic_text_and_keys(tmp_path):
    topics = topics_yaml('  - slug: a\n    title: "A\\x01"\n    description: "B\\x7f"\n    "x\\ny": 1\n    rules: [x]\n'
                         '  - slug: b\n    title: "Alpha\\u202e evil"\n    rules: [x]\n')
    messages = sorted(one_line(e) for e in problems(write(tmp_path, topics=topics)))
    assert len(messages) == 4, messages
    assert any("topics[1].title: holds the direction control U+202E, which turns the text after it around" in m
               for m in messages)
    assert any("topics[0].description: holds the control character U+007F" in m for m in messages)
    assert any("topics[0].title: holds the control character U+0001" in m for m in messages)
    assert any("topics[0].'x\\ny': unknown key" in m for m in messages)


@pytest.mark.parametrize("url, words", [
    ("https://[::1/", "Invalid IPv6 URL"),
    ("https://x.org:abc/", "Port"),
    ("https://x.org:99999/", "Port"),
    ("https://x.org:0/digest/", "port 0"),
    ("https://exa mple.org/", "space"),
])
def test_malformed_base_url(tmp_path, url, words):
    folder = write(tmp_path, site=f"title: T\nbase_url: '{url}'\n")
    error = only_problem(folder)
    assert error.message.startswith("base_url: must be an absolute http(s) URL")
    assert words in one_line(error) and url in error.message


def test_malformed_fetch_url(tmp_path):
    error = only_problem(write(tmp_path, site=GOOD_SITE + "fetch_url: 'https://[::1/api'\n"))
    assert error.message.startswith("fetch_url:") and "IPv6" in one_line(error)


def test_a_fetch_url_whose_host_has_no_ascii_form_is_refused_by_check_not_by_fetch(tmp_path):
    """A host beyond ASCII is fetched in its xn-- form; one that has none (a label of 70 letters,
    longer than DNS takes) passed check, and fetch failed on an encoding error naming no setting."""
    host = "\u00e9" * 70 + ".example"
    error = only_problem(write(tmp_path, site=GOOD_SITE + f"fetch_url: 'https://{host}/api'\n"))
    assert error.message.startswith(f"fetch_url: must be an http(s) URL ({host} cannot be written as an ASCII host "
                                    f"name)"), error.message
    assert load_config(write(tmp_path / "ok", site=GOOD_SITE + "fetch_url: 'https://\u2603.example/api'\n"))


@pytest.mark.parametrize("key, url, problem", [
    ("fetch_url", "http:///api", "it names no host"), ("fetch_url", "http://:80/api", "it names no host"),
    ("fetch_url", "https://u:s3cret@example.org/api", "no user name or password"),
    ("base_url", "https://u:s3cret@example.org/", "no user name or password"),
    ("email:\n  unsubscribe_url", "https:///unsubscribe", "link (it names no host)"),
    ("email:\n  unsubscribe_url", "https://u:s3cret@example.org/u", "link (no user name or password)"),
])
def test_a_url_setting_without_a_host_or_with_a_password_is_refused_by_check_not_by_its_use(tmp_path, key, url,
                                                                                            problem):
    site = "title: My Digest\n" if key == "base_url" else GOOD_SITE
    error = only_problem(write(tmp_path, site=site + f"{key}: '{url}'\n"))
    prefix = "email.unsubscribe_url:" if key.startswith("email") else f"{key}:"
    assert error.message.startswith(prefix) and problem in error.message, error.message
    # the password is not told: messages end up in logs
    assert "s3cret" not in error.message and ("u:…@example.org" in error.message or "s3cret" not in url)


@pytest.mark.parametrize("url, address", [
    ("https://bücher.example/digest", "https://xn--bcher-kva.example/digest/"),
    ("https://faß.example/", "https://xn--fa-hia.example/"),  # as browsers have it: IDNA 2003 made it fass.example
    ("https://☃.net/", "https://xn--n3h.net/"),  # IDNA 2008 refuses the symbol, browsers take it
    ("https://x.org//evil.example/", "https://x.org/evil.example/"),  # no link may start with "//"
    ('https://x.org/"><script>alert(1)</script>/', "https://x.org/%22%3E%3Cscript%3Ealert(1)%3C/script%3E/"),
    ("HTTPS://X.ORG/Sub/ü%20x%zz", "https://x.org/Sub/%C3%BC%20x%25zz/"),
    ("https://[::1]:8443/d", "https://[::1]:8443/d/"),
    ("http://intra_net:8000", "http://intra_net:8000/"),
    ("https://x.org/papers.html-archive/", "https://x.org/papers.html-archive/"),
    ("https://x.org/site.html/", "https://x.org/site.html/"),  # a folder of that name: said so by its slash
])
def test_base_url_becomes_an_ascii_address_with_single_slashes(tmp_path, url, address):
    config = load_config(write(tmp_path, site=f"title: T\nbase_url: '{url}'\n"))
    assert config.site.base_url == address
    assert config.site.base_url.isascii() and '"' not in address and "<" not in address


@pytest.mark.parametrize("url, words", [
    ("https://user:secret@x.org/", "no user name or password"),
    ("https://x.org\\@evil.example/", "no user name or password"),
    ("https://x.org/?page=1", "no ? or # part"),
    ("https://exa!mple.org/", "exa!mple.org is not a host name"),
    ("https://a..b.org/", "a..b.org is not a host name"),
    ("https://x.org/digest/index.html", "the address of the site's folder, not of a page in it"),
    ("https://x.org/Home.HTM", "the address of the site's folder, not of a page in it"),
    ("https://x.org/a/../b/", "no '.' or '..' folders in its path"),
    ("https://x.org/../../x/", "no '.' or '..' folders in its path"),
    ("https://x.org/./digest", "no '.' or '..' folders in its path"),
    ("https://x.org/%2E%2e/digest/", "no '.' or '..' folders in its path"),
])
def test_base_url_that_cannot_be_a_site_address(tmp_path, url, words):
    error = only_problem(write(tmp_path, site=f"title: T\nbase_url: '{url}'\n"))
    assert error.message.startswith("base_url: must be an absolute http(s) URL") and words in one_line(error)


@pytest.mark.parametrize("url, sender", [
    ("https://[::1]:8443/digest", "T <digest@localhost>"),
    ("http://127.0.0.1:8000/", "T <digest@localhost>"),
    ("http://localhost:8000/", "T <digest@localhost>"),
    ("http://intranet/", "T <digest@intranet>"),
    ("https://papers.example.com/sub/", "T <digest@papers.example.com>"),
    ("https://papers.example.com./", "T <digest@papers.example.com>"),  # the host, fully qualified
    ("https://127.0.0.1./", "T <digest@localhost>"),
])
def test_ip_localhost_and_port_base_urls_are_fine_and_give_a_default_sender(tmp_path, url, sender):
    """With no email: section, the sender (and recipient) default to digest@ the site's host."""
    config = load_config(write(tmp_path, site=f"title: T\nbase_url: '{url}'\n"))
    assert config.site.base_url == url.rstrip("/") + "/"
    assert config.email.sender == config.email.to == sender


def test_addresses_too_long_for_one_header_line_are_refused_by_key_and_a_long_title_is_left_out(tmp_path):
    name = "Papers, " + "p" * 1000
    site = f"title: '{name}'\nbase_url: https://example.org/\nemail:\n  reply_to: '\"{name}\" <r@example.org>'\n"
    error = only_problem(write(tmp_path, site=site))
    assert error.message == "email.reply_to: is 1,026 characters long; at most 900 fit on the line of its mail header"
    config = load_config(write(tmp_path / "ok", site=f"title: '{name}'\nbase_url: https://example.org/\n"))
    assert config.email.sender == "digest@example.org"


def test_a_long_number_is_still_a_title(tmp_path):
    config = load_config(write(tmp_path, site="title: 123456789012345678901234567890\nbase_url: https://example.org/\n"))
    assert config.site.title == "123456789012345678901234567890"


@pytest.mark.parametrize("title", ["Papers, daily", "AI <3 papers", "Das Papier @ Mittag", 'Ünïcode "quoted" digest'])
def test_the_default_sender_quotes_a_title_that_would_not_be_one_name(tmp_path, title):
    from email import policy

    config = load_config(write(tmp_path, site=f"title: '{title}'\nbase_url: https://x.example.org/\n"))
    header = policy.SMTP.header_factory("From", config.email.sender)
    assert not header.defects
    assert [(a.display_name, a.addr_spec) for a in header.addresses] == [(title, "digest@x.example.org")]


@pytest.mark.parametrize("value", ["Papers, daily <d@example.org>", "a@example.org, b@example.org", "a@", "@b.org",
                                   "Name <a@b.org", "a b@c.org", "Name <a@b.org> trailing", "plain"])
def test_a_from_that_is_not_one_address_is_refused(tmp_path, value):
    error = only_problem(write(tmp_path, site=GOOD_SITE + f"email: {{from: '{value}', to: r@example.org}}\n"))
    assert error.message.startswith("email.from: is not one e-mail address") and value in error.message


@pytest.mark.parametrize("value, why", [('"news desk"@example.org', """not an e-mail address: '"news desk"@example.org'"""),
                                        ("Desk <d@[1.2.3]>", "not an e-mail address: 'd@[1.2.3]'")])
def test_a_from_that_smtp_cannot_send_from_is_refused(tmp_path, value, why):
    """One address in a header, but not one digest send can give the server as its sender: told
    here, not by every send (a dry run and digest check had passed it)."""
    error = only_problem(write(tmp_path, site=GOOD_SITE + f"email: {{from: '{value}', to: '{value}'}}\n"))
    assert error.message == (f"email.from: is no address to send from: {why} (give user@host or Name <user@host>, "
                             f"without quotes around the user)")


def test_a_from_with_an_address_literal_is_fine(tmp_path):
    config = load_config(write(tmp_path, site=GOOD_SITE + "email: {from: 'Desk <d@[192.0.2.1]>'}\n"))
    assert config.email.sender == "Desk <d@[192.0.2.1]>"


@pytest.mark.parametrize("language, good", [
    ("en", True), ("en-GB", True), ("zh-Hant-TW", True), ("es-419", True), ("de-CH-1996", True), ("sl-rozaj", True),
    ("EN-gb", True), ("en-GB-oed", True), ("sgn-BE-FR", True), ("en-GB-GB", False), ("en-12", False),
    ("aa-bb-cc-dd", False), ("en_US", False), ("e", False), ("abcd", False), ("en-x-a", False),
    ("de-u-co-phonebk", False)])
def test_the_language_is_a_well_formed_language_tag(tmp_path, language, good):
    """Each part in its place and form (RFC 5646): "en-GB-GB" passed, and every page failed the Nu
    checker; extensions and private use, which it takes only when registered, are refused."""
    folder = write(tmp_path, site=GOOD_SITE + f"language: {language}\n")
    if good:
        assert load_config(folder).site.language == language
    else:
        assert only_problem(folder).message.startswith("language: must be a language tag")


@pytest.mark.parametrize("title", ["Revue\u00a0: papiers du jour", "論文\u3000ダイジェスト", "Tab\there"])
def test_a_title_with_a_space_no_address_holds_gives_a_default_sender(tmp_path, title):
    """A no-break or ideographic space in the site's title, in the default sender's name, was
    judged as if in the address, and the build failed on an email.from the file did not hold."""
    from email.utils import parseaddr

    from digest.config import envelope_sender

    config = load_config(write(tmp_path, site=f'title: "{title}"\nbase_url: https://example.org/\n'))
    assert parseaddr(config.email.sender)[1] == "digest@example.org"
    assert envelope_sender(config.email.sender) == "digest@example.org"
    written = load_config(write(tmp_path / "b", site=GOOD_SITE + f"email: {{from: '\"{title}\" <d@example.org>'}}\n"))
    assert envelope_sender(written.email.sender) == "d@example.org"


def test_an_email_to_that_is_wrong_is_told_once(tmp_path):
    """A wrong email.to was told, then told again as the from address standing in for it."""
    found = problems(write(tmp_path, site=GOOD_SITE + 'email:\n  from: "a, b <x@example.org>"\n  to: ""\n'))
    assert [str(e.message).split(":")[0] for e in found] == ["email.from", "email.to"], [str(e) for e in found]


@pytest.mark.parametrize("regex, words", [
    ("a{99999999999}", "invalid regular expression"),
    ("(" * 1000 + "a" + ")" * 1000, "invalid regular expression"),
])
def test_regex_the_engine_cannot_compile(tmp_path, regex, words):
    folder = write(tmp_path, topics=topics_yaml(topic("a", f"[alpha, {{regex: '{regex}'}}]")))
    error = only_problem(folder)
    assert error.path == str(folder / "topics.yaml")
    assert error.message.startswith("topics[0].rules[1].regex:") and words in one_line(error)
    assert len(error.message) < 300


@pytest.mark.parametrize("regex", [r"^(\w+\s?)+$", r"(a+)+", r"(\w+\s?)*", r"(?:x*)+", r"(x(a+)?)+b",
                                   r"(a{1,10}){1,10}", r"(?i:(?:kv|cache)\s*)+"])
def test_nested_repetition_is_refused(tmp_path, regex):
    folder = write(tmp_path, topics=topics_yaml(topic("a", f"[alpha, {{regex: '{regex}'}}]")))
    error = only_problem(folder)
    assert error.message.startswith("topics[0].rules[1].regex:")
    assert "nested repetition can take exponential time; simplify the pattern" in one_line(error)


@pytest.mark.parametrize("regex", [r"z*", r"\b", r"(?=x)", r"(kv)?", r"^", r"x{0}"])
def test_a_regex_that_matches_empty_text_is_refused(tmp_path, regex):
    """It would put every paper in its topic, with an empty term ("matched: " on the page)."""
    folder = write(tmp_path, topics=topics_yaml(topic("a", f"[alpha, {{regex: '{regex}'}}]")))
    error = only_problem(folder)
    assert error.message.startswith("topics[0].rules[1].regex: matches empty text")


@pytest.mark.parametrize("regex", [r"\bKVCache\b", r"\b(FP|INT|MX)(4|6|8)\b", r"\bW\d+A\d+\b", r"(\d{1,3}\.){3}\d{1,3}",
                                   r"(ab){2,}", r"(cat|dog)+", r"(a{2})+", r"(?:x++)+", r"(?=\w+)\w"])
def test_ordinary_regexes_are_not_nested_repetition(tmp_path, regex):
    config = load_config(write(tmp_path, topics=topics_yaml(topic("a", f"[alpha, {{regex: '{regex}'}}]"))))
    assert config.topics[0].rules[1].label == f"/{regex}/"


@pytest.mark.parametrize("key", ["min_score", "weight"])
@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_topic_numbers_must_be_finite(tmp_path, key, value):
    if key == "min_score":
        topics = topics_yaml(f"  - slug: a\n    title: A\n    min_score: {value}\n    rules: [x]\n")
        where = "topics[0].min_score"
    else:
        topics = topics_yaml(topic("a", f"[{{phrase: x, weight: {value}}}]"))
        where = "topics[0].rules[0].weight"
    error = only_problem(write(tmp_path, topics=topics))
    assert error.message.startswith(f"{where}:")
    assert ("finite" in error.message) or ("at least" in error.message)


@pytest.mark.parametrize("site, message", [
    ("fetch_timeout: 1.0e+10\n", "fetch_timeout: must be at most 86,400, not 10000000000.0"),
    ("email:\n  smtp_timeout: 86401\n", "email.smtp_timeout: must be at most 86,400, not 86401")])
def test_a_timeout_longer_than_a_day_is_refused_by_its_key(tmp_path, site, message):
    """The system's timers cannot hold 1e10 seconds: refused when read, not when a send is due."""
    assert only_problem(write(tmp_path, site=GOOD_SITE + site)).message == message


@pytest.mark.parametrize("host, good", [
    ("smtp.example.org", True), ("localhost", True), ("127.0.0.1", True), ("::1", True), ("[::1]", "::1"),
    ("bücher.example", True), ("a" * 64 + ".example.org", False), ("smtp..example.org", False),
    ("smtp example.org", False), (".".join(["abcdefghij"] * 24), False),
    ("smtp.example.org:25", False), ("[::1]:25", False), ("[smtp.example.org]", False),
])
def test_an_smtp_host_the_resolver_cannot_take_is_refused_by_its_key(tmp_path, host, good):
    """Such a name failed only when mail was sent, taken there for a non-ASCII address (a port
    after a colon, for an IPv6 address; the brackets of one, for a host name)."""
    folder = write(tmp_path, site=GOOD_SITE + f"email:\n  smtp_host: '{host}'\n")
    if good:
        assert load_config(folder).email.smtp_host == (host if good is True else good)
    else:
        assert only_problem(folder).message.startswith("email.smtp_host: is not a host name (")


def test_a_name_that_mail_would_read_as_an_encoded_word_is_refused_or_left_out(tmp_path):
    """The email package decodes "=?utf-8?q?a=2C_b?=" and writes it back as a, b: two addresses."""
    folder = write(tmp_path, site=GOOD_SITE + "email:\n  from: '=?utf-8?q?a=2C_b?= <x@example.org>'\n")
    assert only_problem(folder).message.startswith("email.from: holds '=?', which mail programs read as the start "
                                                   "of an encoded word")
    folder = write(tmp_path, site="title: '=?utf-8?q?Hello=2C_World?='\nbase_url: https://example.org/\n")
    assert load_config(folder).email.sender == "digest@example.org"


def test_site_numbers_must_be_finite(tmp_path):
    error = only_problem(write(tmp_path, site=GOOD_SITE + "fetch_timeout: .inf\n"))
    assert error.message == "fetch_timeout: must be a finite number, not inf"


@pytest.mark.parametrize("value", ["''", "'  '"])
@pytest.mark.parametrize("key", ["title", "slug"])
def test_topic_title_and_slug_must_not_be_empty(tmp_path, key, value):
    item = topic("a").replace(f"{key}: {'a' if key == 'slug' else 'T'}\n", f"{key}: {value}\n")
    error = only_problem(write(tmp_path, topics=topics_yaml(item)))
    assert error.message == f"topics[0].{key}: must not be empty"


def test_a_phrase_of_only_hyphens(tmp_path):
    error = only_problem(write(tmp_path, topics=topics_yaml(topic("a", "['-', alpha]"))))
    assert error.message.startswith("topics[0].rules[0].phrase: has no words")


@pytest.mark.parametrize("url", ["https://x.org/>,<javascript:alert(1)>", 'mailto:a@b.org?subject="><script>',
                                 "javascript:alert(1)", "https://x.org/a b", "https://x.org:99999/",
                                 "http://x.org/unsubscribe"])
def test_an_unsubscribe_url_that_could_end_its_header_early_is_refused(tmp_path, url):
    """It goes into List-Unsubscribe as <url>: a ">" in it would start another, javascript: one."""
    error = only_problem(write(tmp_path, site=GOOD_SITE + f"email: {{unsubscribe_url: '{url}'}}\n"))
    assert error.message.startswith("email.unsubscribe_url: must be an https:// or mailto: link")


@pytest.mark.parametrize("url", ["https://x.org/unsub?id=1&a=2", "mailto:unsub@x.org?subject=stop"])
def test_ordinary_unsubscribe_urls(tmp_path, url):
    assert load_config(write(tmp_path, site=GOOD_SITE + f"email: {{unsubscribe_url: '{url}'}}\n")).email.unsubscribe_url == url


@pytest.mark.parametrize("email, message", [
    ("{one_click_unsubscribe: true}", "email.one_click_unsubscribe: needs an https:// unsubscribe_url"),
    ("{unsubscribe_url: 'mailto:u@x.org', one_click_unsubscribe: true}",
     "email.one_click_unsubscribe: needs an https:// unsubscribe_url"),
    ("{unsubscribe_url: 'https://x.org/u', one_click_unsubscribe: 'yes'}",
     "email.one_click_unsubscribe: must be true or false, not 'yes'"),
])
def test_one_click_unsubscribe_needs_an_https_url(tmp_path, email, message):
    assert only_problem(write(tmp_path, site=GOOD_SITE + f"email: {email}\n")).message.startswith(message)


def test_an_unsubscribe_url_too_long_for_its_header_line_is_refused(tmp_path):
    url = "https://x.org/u?t=" + "é" * 147  # 900 characters once percent-encoded, as the header writes it
    assert load_config(write(tmp_path, site=GOOD_SITE + f"email: {{unsubscribe_url: '{url}'}}\n")).email.unsubscribe_url == url
    error = only_problem(write(tmp_path, site=GOOD_SITE + f"email: {{unsubscribe_url: '{url}a'}}\n"))
    assert error.message == ("email.unsubscribe_url: is 901 characters long as a mail header writes it; "
                             "at most 900 fit on its line")


@pytest.mark.parametrize("site, message", [
    ("title: " + "T" * 4_001 + "\n", "title: is 4,001 characters long; at most 4,000"),
    ("description: " + "D" * 20_001 + "\n", "description: is 20,001 characters long; at most 20,000")])
def test_a_setting_far_longer_than_any_is_refused_by_its_key(tmp_path, site, message):
    """Not later, as an e-mail too large to send."""
    base = "\n".join(line for line in GOOD_SITE.splitlines() if not line.startswith(site.split(":")[0] + ":"))
    assert only_problem(write(tmp_path, site=base + "\n" + site)).message == message


def test_site_and_email_problems_are_told_at_once(tmp_path):
    site = (GOOD_SITE.replace("title: My Digest", "title: [a, list]")
            + "feed_items: thirty\nemail:\n  smtp_port: 587x\n  colour: red\n")
    found = sorted(e.message for e in problems(write(tmp_path, site=site)))
    assert found == ["email.colour: unknown key (expected one of: abstract_chars, from, max_html_bytes, "
                     "one_click_unsubscribe, reply_to, smtp_host, smtp_port, smtp_security, smtp_timeout, to, "
                     "unsubscribe_url)",
                     "email.smtp_port: must be a whole number, not '587x'",
                     "feed_items: must be a whole number, not 'thirty'",
                     "title: must be text, not list"], found


def test_an_unknown_key_beside_topics_is_named(tmp_path):
    error = only_problem(write(tmp_path, topics=GOOD_TOPICS + "colour: red\n"))
    assert error.message == "'colour': unknown key (the file holds one, 'topics:', with its list)"


@pytest.mark.parametrize("rule", ["''", "{regex: ' '}", f"'{'word ' * 1000}'", "{phrase: [a, b]}"])
def test_a_rule_that_is_empty_too_long_or_no_text_is_one_problem(tmp_path, rule):
    error = only_problem(write(tmp_path, topics=topics_yaml(topic("a", f"[{rule}, alpha]"))))
    assert re.fullmatch(r"topics\[0\]\.rules\[0\]\.(phrase|regex): (must not be empty|is 4,999 characters long; "
                        r"at most 4,000|must be text, not list)", error.message), error.message


def test_an_email_html_limit_below_any_days_e_mail_is_refused_as_a_setting(tmp_path):
    # The bundled template's e-mail of one paper is about 5 KB: a limit under 10 KB fails every build.
    error = only_problem(write(tmp_path, site=GOOD_SITE + "email: {max_html_bytes: 9999}\n"))
    assert error.message == "email.max_html_bytes: must be at least 10000, not 9999"
    config = load_config(write(tmp_path, site=GOOD_SITE + "email: {max_html_bytes: 10000}\n"))
    assert config.email.max_html_bytes == 10000


def test_an_unknown_key_written_as_a_number_is_named_as_written(tmp_path):
    error = only_problem(write(tmp_path, site=GOOD_SITE + "1.10: x\n"))
    assert error.message.startswith("1.10: unknown key")


@pytest.mark.parametrize("key", ["yes", "on", "~", "null", "2024-01-01"])
def test_an_unknown_key_yaml_reads_as_another_type_is_named_as_written_at_its_line(tmp_path, key):
    """YAML 1.1 reads these as True, None and a date; a key of settings is a word, as written."""
    folder = write(tmp_path, site=GOOD_SITE + f"{key}: x\n")
    error = only_problem(folder)
    assert (error.line, error.message.split(":")[0]) == (GOOD_SITE.count("\n") + 1, key)
    error = only_problem(write(tmp_path / "nested", site=GOOD_SITE + f"email:\n  {key}: x\n"))
    assert (error.line, error.message.split(": ")[0]) == (GOOD_SITE.count("\n") + 2, f"email.{key}")


def test_a_key_written_as_a_number_and_as_text_is_given_twice(tmp_path):
    error = only_problem(write(tmp_path, site=GOOD_SITE + "1: x\n'1': y\n"))
    assert (error.line, error.message) == (GOOD_SITE.count("\n") + 2, "invalid YAML: key '1' is given twice")


@pytest.mark.parametrize("written, read", [("025", "21"), ("-025", "-21"), ("1:30", "90"),
                                           ("10:0:0:0", "2,160,000")])
def test_a_number_setting_written_other_than_in_decimal_digits_is_refused_not_misread(tmp_path, written, read):
    """YAML 1.1, which PyYAML reads, takes 025 for octal 21 and 1:30 for 90: the port or count
    the user meant is not the one digest would use."""
    error = only_problem(write(tmp_path, site=GOOD_SITE + f"email:\n  smtp_port: {written}\n"))
    assert error.message == (f"email.smtp_port: must be written in decimal digits, not '{written}' (which YAML "
                             f"reads as {read})")


@pytest.mark.parametrize("written, value", [("587", 587), ("+587", 587), ("1_000", 1000), ("0x24B", 587),
                                            ("02", 2)])  # octal or not, the same number
def test_a_number_setting_in_decimal_digits_is_read(tmp_path, written, value):
    assert load_config(write(tmp_path, site=GOOD_SITE + f"email:\n  smtp_port: {written}\n")).email.smtp_port == value


def test_an_unknown_key_beside_the_list_of_topics_is_told_at_its_line(tmp_path):
    error = only_problem(write(tmp_path, topics=GOOD_TOPICS + "colour: red\n"))
    assert (error.line, error.message) == (15, "'colour': unknown key (the file holds one, 'topics:', with its list)")


def test_the_problems_of_a_file_come_in_the_order_of_its_lines(tmp_path):
    site = ("base_url: https://example.org/\nfeed_items: lots\nemail: hello\ncolour: red\nlanguage: '7 x'\n")
    messages = [(e.line, e.message.split(":")[0]) for e in problems(write(tmp_path, site=site))]
    assert messages == [(None, "title"), (2, "feed_items"), (3, "email"), (4, "colour"), (5, "language")]


def test_topics_whose_slugs_are_no_text_are_not_told_as_one_slug_used_twice(tmp_path):
    """Two slugs YAML reads as booleans (yes, on) are each told as such, and no more: both were
    taken for the empty slug, and the second told as used by an earlier topic."""
    messages = [e.message for e in problems(write(tmp_path, topics=topics_yaml(topic("yes"), topic("on"), topic("a"),
                                                                               topic("a"))))]
    assert messages == ["topics[0].slug: must be text, not bool", "topics[1].slug: must be text, not bool",
                        "topics[3].slug: 'a' is used by an earlier topic"]


@pytest.mark.parametrize("written, shown", [("true", "true"), ("no", "false"), ("null", "null"), ("~", "null")])
def test_a_yaml_truth_value_where_a_number_goes_is_shown_as_yaml_writes_it(tmp_path, written, shown):
    """It was shown as Python writes it: "not True", "not False"."""
    messages = [e.message for e in problems(write(tmp_path, site=GOOD_SITE + f"feed_items: {written}\n"))]
    assert messages == [f"feed_items: must be a whole number, not {shown}"]


def test_a_weight_too_large_for_a_float_is_refused_in_one_line(tmp_path):
    """A weight of hundreds of digits read as a whole number, then stopped topic matching with an
    internal error (OverflowError: int too large to convert to float)."""
    big = "1" + "0" * 400
    topics = f"- slug: a\n  title: A\n  rules:\n    - phrase: inference\n      weight: {big}\n"
    error = only_problem(write(tmp_path, topics=topics))
    assert (error.line, error.message) == (5, "topics[0].rules[0].weight: must be at most 1.8e+308 (a number of "
                                              "1,329 bits is given)")
    weight = load_config(write(tmp_path / "ok", topics=topics.replace(big, "1" + "0" * 300))).topics[0].rules[0].weight
    assert float(weight) == 1e300
    # Below the minimum, or above a setting's own maximum, it is told by that bound, as a small one is.
    error = only_problem(write(tmp_path / "negative", topics=topics.replace(big, f"-{big}")))
    assert error.message.startswith("topics[0].rules[0].weight: must be at least 0, not -1000")
    error = only_problem(write(tmp_path / "timeout", site=GOOD_SITE + f"fetch_timeout: {big}\n"))
    assert error.message.startswith("fetch_timeout: must be at most 86,400, not 1000")


def test_a_group_is_an_address_of_to_and_reply_to_but_not_of_from(tmp_path):
    """A group ("Team: a@b;") was written into the From header, which cannot hold one (RFC 5322, 3.6.2);
    To and Reply-To may."""
    group = "Digest team: digest@example.org;"
    error = only_problem(write(tmp_path, site=GOOD_SITE + f"email: {{from: '{group}', to: r@example.org}}\n"))
    assert error.message == (f"email.from: is a group of addresses (Name: user@host;), which From cannot hold; "
                             f"quote a name with a colon: '{group}'")
    config = load_config(write(tmp_path / "ok", site=GOOD_SITE + f"email: {{to: '{group}', reply_to: '{group}', "
                                                                 f"from: '\"Team: news\" <n@example.org>'}}\n"))
    assert (config.email.to, config.email.reply_to) == (group, group)
    # With a domain beyond ASCII too: the group was lost (in From, let through; in To, its name dropped).
    idn = "Readers: list@b\u00fccher.example;"
    error = only_problem(write(tmp_path / "idn", site=GOOD_SITE + f"email: {{from: '{idn}', to: r@example.org}}\n"))
    assert error.message.startswith("email.from: is a group of addresses")
    config = load_config(write(tmp_path / "idn-ok", site=GOOD_SITE + f"email: {{to: '{idn}'}}\n"))
    assert config.email.to == "Readers: list@xn--bcher-kva.example;"
    # A group of none, as a newsletter's To that shows no recipient, is one of To's only.
    config = load_config(write(tmp_path / "none", site=GOOD_SITE + "email: {to: 'undisclosed-recipients:;'}\n"))
    assert config.email.to == "undisclosed-recipients:;"
    error = only_problem(write(tmp_path / "none-reply", site=GOOD_SITE + "email: {reply_to: 'nobody:;'}\n"))
    assert error.message == ("email.reply_to: is not one e-mail address (user@host, Name <user@host> or a group, "
                             "'Readers: user@host;'; quote a name with a comma, @ or <): 'nobody:;'")


@pytest.mark.parametrize("url, sent", [
    ("http://[::1]:8000/p\u00e4pers", "http://[::1]:8000/p%C3%A4pers"),  # the brackets kept
    ("https://\u2603.example:8080/api?x=\u00e9#f", "https://xn--n3h.example:8080/api?x=%C3%A9#f"),
    ("https://Example.org/a%20b?q=a+b&", "https://Example.org/a%20b?q=a+b&"),  # ASCII: as it is
    ("\x01http://b\u00fccher.example/api", "http://xn--bcher-kva.example/api"),  # not one letter of the host lost
])
def test_an_address_to_fetch_is_sent_in_ascii_and_otherwise_as_written(url, sent):
    assert ascii_url(url) == sent


@pytest.mark.parametrize("extra, line, told", [
    ("description: [a, b\n", 2, "(in the [ ] list begun at line 1)"),
    ("description: \"unclosed\nauthor: Someone\n", 3, "(in the quoted text begun at line 1)"),
    ("description: {a: 1\nauthor: Someone\n", 2, "(in the { } mapping begun at line 1)"),
    # What YAML was reading is told of an unclosed quote or bracket only: else it reads as nonsense.
    ("---\nauthor: Someone\n", 1, "invalid YAML: expected a single document in the stream, but found another "
                                   "document"),
    ("author\ndescription: x\n", 2, "invalid YAML: could not find expected ':'"),
])
def test_an_unclosed_bracket_or_quote_is_told_with_the_line_it_opens_at_and_no_other_yaml_error_is(
        tmp_path, extra, line, told):
    """YAML finds it out at the end of the file, or at the next line that cannot be in it: that line
    alone sends the user looking in the wrong place."""
    folder = write(tmp_path, site=GOOD_SITE + extra)
    error = only_problem(folder)
    opened = GOOD_SITE.count("\n") + 1
    assert error.line == opened + line - 1 and error.message.startswith("invalid YAML: "), one_line(error)
    assert error.message.endswith(told.replace("line 1", f"line {opened}")), error.message
