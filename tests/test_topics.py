"""digest.topics: the fast paths of topic matching find what the rules' own patterns find; a
topic rule that backtracks without end is stopped and named, not run for ever."""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CONTENT, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

import digest.topics
from digest.config import (
    TopicConfig,
    TopicRule,
    ascii_regex,
    load_config,
    parse_topics_config,
)
from digest.errors import DigestError
from digest.topics import MatchBudget, match_topics

# Matching takes shortcuts on ASCII text: the words of a paper looked up before any search
# (TopicRule.words), phrases searched in lowercased text, regexes with ASCII classes.  Each must
# leave the topics, scores and terms exactly as the rules' own patterns give them.

def plain(topics):
    """The same topics with every shortcut taken away: each rule's own pattern, on every paper."""
    return [replace(topic, rules=tuple(replace(rule, needle="", ascii_pattern=None, words=None, ascii_regex=None)
                                       for rule in topic.rules)) for topic in topics]


BUNDLED = load_config(CONTENT).topics
EXTRA = parse_topics_config({"topics": [{"slug": "extra", "title": "Extra", "rules": [
    "kes", "a-b", "k", "sa", "C++", "e s", {"regex": r"\bKiss\b"}, {"regex": r"(?-i:Zero)x"},
    {"regex": r"a\sb"}, {"regex": r"\W\w+s\b"}]}]}, Path("topics.yaml"))
#: Words of the bundled rules and some that look like them, and what may stand between words.
_WORDS = st.sampled_from(["inference", "Inferences", "kv", "KV-cache", "caches", "training", "pre", "Pre-training",
                          "GPU", "gpus", "FP8", "int4", "W4A16", "MoE", "moes", "dLLM", "zero", "ZeRO", "Kiss",
                          "kiss", "\u212aiss", "ſa", "ıi", "İ", "a", "b", "kes", "k", "sa", "C++", "s", "e",
                          "Zerox", "zerox", "mixture", "of", "experts", "diffusion", "video", "é", "_k"])
_BETWEEN = st.sampled_from([" ", "-", " - ", "\x1c", "\x1f", ", ", ".", "\u2028", "_", "", "  "])
_PAPER_TEXT = st.lists(st.tuples(_WORDS, _BETWEEN), max_size=25).map(lambda pairs: "".join(a + b for a, b in pairs))


@settings(max_examples=1500, deadline=None)
@given(_PAPER_TEXT, _PAPER_TEXT, st.one_of(st.none(), st.lists(_WORDS, max_size=3)))
def test_matching_finds_what_the_rules_own_patterns_find(title, abstract, keywords):
    for topics in (BUNDLED, EXTRA):
        assert match_topics(title, abstract, topics, keywords) == match_topics(title, abstract, plain(topics), keywords)


def test_the_fast_paths_are_taken_on_ascii_text():
    rule = {r.label: r for topic in BUNDLED for r in topic.rules}
    assert rule["inference"].words == {b"inference", b"inferences", b"inferencees"}
    assert rule["speculative decoding"].words == {b"speculative"}
    assert rule["C++"].words is None and rule["C++"].ascii_pattern is not None
    assert rule[r"/\b(FP|INT|MX)(4|6|8)\b/"].ascii_regex.flags & re.ASCII


def test_a_regex_that_sets_its_own_mode_or_is_beyond_ascii_has_no_ascii_form():
    assert ascii_regex(r"(?u)\bx\b") is None
    assert ascii_regex("ſa") is None
    assert ascii_regex(r"\bKV\b").search("a kv b")


def test_an_empty_match_is_no_term():
    """A regex that matches empty text where the settings' samples do not: only what it finds counts."""
    [topic] = parse_topics_config({"topics": [{"slug": "t", "title": "T", "rules": [
        {"regex": r"(?=\bkv)(kv-cache)?"}]}]}, Path("topics.yaml"))
    assert match_topics("A kv store", "Nothing else.", [topic]) == ()
    [match] = match_topics("A kv store", "A kv-cache.", [topic])
    assert match.terms == ("kv-cache",)


#: Exponential on a line of "a"s with no "#~" after it: (.|.)* tries both ways at every character.
RUNAWAY = r"(?:.|.)*#~"


def test_a_runaway_regex_is_stopped_and_named(monkeypatch):
    monkeypatch.setattr(digest.topics, "MATCH_SECONDS", 0.3)
    fine = TopicRule("inference", re.compile(r"\binference\b"), needle="inference")
    runaway = TopicRule(f"/{RUNAWAY}/", re.compile(RUNAWAY))
    topics = [TopicConfig("fast", "Fast", "", (fine,)), TopicConfig("slow", "Slow", "", (fine, runaway))]
    start = time.perf_counter()
    with pytest.raises(DigestError) as info:
        match_topics("A paper on inference", "a" * 60, topics)
    assert time.perf_counter() - start < 2
    assert str(info.value) == (f"topics.yaml: topic 'slow', rule /{RUNAWAY}/: took more than 0.3 s on the paper "
                               "'A paper on inference'; simplify the pattern")
    # The timer is off afterwards: ordinary matching goes on as before.
    assert [m.topic for m in match_topics("A paper on inference", "An abstract.", topics[:1])] == ["fast"]


def test_many_rules_that_add_up_are_blamed_together_and_a_long_pattern_is_shortened(monkeypatch):
    """5,000 rules of 4,000-character patterns, a few ms each, ran out of time together: the rule
    at work then was blamed (another on each run), its whole pattern in the "one line"."""
    monkeypatch.setattr(digest.topics, "MATCH_SECONDS", 0.3)
    slow = r"\A.{0,100}.{0,100}.{0,100}[#@]"  # about 10 ms on 300 characters without "#" or "@"
    topics = [TopicConfig(f"t{n}", "T", "", (TopicRule(f"/{slow}/", re.compile(slow)),)) for n in range(60)]
    with pytest.raises(DigestError) as info:
        match_topics("A paper on inference", "a" * 300, topics)
    assert str(info.value) == ("topics.yaml: the 60 topic rules took more than 0.3 s together on the paper "
                               "'A paper on inference'; simplify the patterns, or have fewer")
    # On a busy machine a runaway rule gets little CPU time: it is named all the same.
    monkeypatch.setattr(digest.topics, "thread_time", lambda: 0.0)
    label = f"/{RUNAWAY}|{'z' * 100}/"
    runaway = TopicRule(label, re.compile(f"{RUNAWAY}|{'z' * 100}"))
    with pytest.raises(DigestError) as info:
        match_topics("A paper on inference", "a" * 60, [TopicConfig("slow", "Slow", "", (runaway,))])
    assert str(info.value) == (f"topics.yaml: topic 'slow', rule {label[:78]}…/: took more than 0.3 s on the "
                               f"paper 'A paper on inference'; simplify the pattern")


def test_many_rules_of_one_topic_that_add_up_are_blamed_on_the_topic_not_one_rule(monkeypatch):
    """The rules of the test above in one topic: the rule at work when time ran out was named."""
    monkeypatch.setattr(digest.topics, "MATCH_SECONDS", 0.3)
    slow = r"\A.{0,100}.{0,100}.{0,100}[#@]"  # about 10 ms on 300 characters without "#" or "@"
    rules = tuple(TopicRule(f"/{slow}{n}/", re.compile(f"{slow}{n}")) for n in range(60))
    with pytest.raises(DigestError) as info:
        match_topics("A paper on inference", "a" * 300, [TopicConfig("fast", "Fast", "", ()),
                                                          TopicConfig("many", "Many", "", rules)])
    assert (str(info.value), info.value.key) == (
        "topics.yaml: topic 'many': its 60 rules took more than 0.3 s together on the paper 'A paper on "
        "inference'; simplify its patterns, or have fewer", "topics[1]")


def test_a_slow_regex_under_the_limit_of_a_paper_is_stopped_by_the_budget_of_many(monkeypatch):
    """A regex that takes long on every paper, never long enough for MATCH_SECONDS, would take
    that long for every paper of the site."""
    monkeypatch.setattr(digest.topics, "BUDGET_SECONDS", 0.2)
    monkeypatch.setattr(digest.topics, "BUDGET_SECONDS_PER_PAPER", 0.0)
    monkeypatch.setattr(digest.topics, "BUDGET_SECONDS_PER_KB", 0.0)
    slow = r"\A.{0,100}.{0,100}.{0,100}[#@]"  # about 10 ms on 300 characters without "#" or "@"
    fine = TopicRule("inference", re.compile(r"\binference\b"), needle="inference")
    topics = [TopicConfig("fast", "Fast", "", (fine,)),
              TopicConfig("slow", "Slow", "", (TopicRule(slow, re.compile(slow)),))]
    budget = MatchBudget()
    start = time.perf_counter()
    with pytest.raises(DigestError) as info:
        for _ in range(1000):
            match_topics("A paper on inference", "a" * 300, topics, budget=budget)
    assert time.perf_counter() - start < 2
    assert 5 <= budget.papers < 100
    assert re.fullmatch(r"topics\.yaml: topic 'slow': its rules took 0\.\d s of the 0\.\d s the rules took on \d+ "
                        r"papers \(real rules take well under a millisecond a paper\); simplify its patterns",
                        str(info.value)), str(info.value)
    # Without a budget, or within the default one, the same papers are matched.
    assert [m.topic for m in match_topics("A paper on inference", "a" * 300, topics)] == ["fast"]
    monkeypatch.undo()
    budget = MatchBudget()
    for _ in range(20):
        assert [m.topic for m in match_topics("A paper on inference", "a" * 300, topics, budget=budget)] == ["fast"]


def test_the_budget_of_many_papers_grows_with_their_text():
    """The rules' time grows with the text: on 1,000 papers of abstracts of 20,000 characters
    (the longest taken) the bundled rules took 20-35 ms a paper, over a budget of 10 ms a paper,
    and the build failed, blaming the bundled topics.yaml."""
    topics = [TopicConfig("t", "T", "", ())]
    budget = MatchBudget()
    for _ in range(1000):
        budget.charge({"t": 0.05}, topics, characters=20_000)
    budget = MatchBudget()
    with pytest.raises(DigestError, match="topic 't': its rules took"):
        for _ in range(1000):
            budget.charge({"t": 0.05}, topics, characters=2_000)
    assert budget.papers < 1000


def test_a_runaway_regex_in_topics_yaml_fails_the_build_in_one_line(tmp_path):
    content = shutil.copytree(CONTENT, tmp_path / "content")
    topics = content / "topics.yaml"
    topics.write_text(topics.read_text().replace("      - phrase: inference\n",
                                                 f"      - regex: '{RUNAWAY}'\n      - phrase: inference\n", 1))
    for command in (("check", "--content", content), ("build", "--content", content, "--out", tmp_path / "site")):
        result = run_cli(*command, timeout=60)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        line = topics.read_text().splitlines().index(f"      - regex: '{RUNAWAY}'") + 1
        assert result.stderr.startswith(f"digest: error: {topics}:{line}: topic 'llm-inference', rule /{RUNAWAY}/: "
                                        "took more than 2 s on the paper"), result.stderr
    assert not (tmp_path / "site").exists()


def test_a_slow_topic_over_the_budget_of_many_papers_is_named_with_its_line(tmp_path, monkeypatch):
    """The budget's error names the topic's line in topics.yaml, also from a worker process."""
    monkeypatch.setattr(digest.topics, "BUDGET_SECONDS", 0.05)
    monkeypatch.setattr(digest.topics, "BUDGET_SECONDS_PER_PAPER", 0.0)
    monkeypatch.setattr(digest.topics, "BUDGET_SECONDS_PER_KB", 0.0)
    content = shutil.copytree(CONTENT, tmp_path / "content")
    topics = content / "topics.yaml"
    slow = r"\A.{0,100}.{0,100}.{0,100}[#@]"
    text = topics.read_text()
    topics.write_text(text + f"  - slug: slow\n    title: Slow\n    rules:\n      - regex: '{slow}'\n")
    line = len(text.splitlines()) + 1
    from digest.build import load
    for jobs in (1, 2):
        with pytest.raises(DigestError) as info:
            load(content, jobs=jobs)
        assert str(info.value).startswith(f"{topics}:{line}: topic 'slow': its rules took "), str(info.value)


def test_fractional_weights_that_add_up_to_min_score_reach_it():
    """0.7 + 0.1 + 0.1 + 0.1 is 0.9999999999999999 in binary floating point: the paper was left out
    of a topic whose min_score is 1."""
    [topic] = parse_topics_config({"topics": [{"slug": "sys", "title": "Sys", "min_score": 1, "rules": [
        {"phrase": "cache", "weight": 0.7}, {"phrase": "latency", "weight": 0.1},
        {"phrase": "throughput", "weight": 0.1}, {"phrase": "memory", "weight": 0.1}]}]}, Path("topics.yaml"))
    [match] = match_topics("A paper", "Its cache, latency, throughput and memory.", [topic])
    assert match.topic == "sys" and abs(match.score - 1) < 1e-9
    # A weight that is min_score, whatever its decimals, reaches it.
    for weight in (1e-10, 4e-10, 1.0000000004):
        [tiny] = parse_topics_config({"topics": [{"slug": "t", "title": "T", "min_score": weight, "rules": [
            {"phrase": "cache", "weight": weight}]}]}, Path("topics.yaml"))
        assert [m.topic for m in match_topics("A paper", "Its cache.", [tiny])] == ["t"], weight


@pytest.mark.parametrize("phrase, title", [("İstanbul", "Earthquake risk in istanbul"),
                                           ("mixture of experts", "Scaling Mixture\u2010of\u2010Experts models"),
                                           ("mixture of experts", "Scaling Mixture\u2011of\u2011Experts models"),
                                           ("fine-tuning", "Fine\u2010tuning at scale")])
def test_a_phrase_matches_whatever_else_the_text_holds(phrase, title):
    """A phrase of a word beyond ASCII matched an ASCII title only when the title held another
    character beyond ASCII; the Unicode hyphens (U+2010, U+2011) of typeset titles parted no words."""
    [topic] = parse_topics_config({"topics": [{"slug": "t", "title": "T", "rules": [phrase]}]}, Path("topics.yaml"))
    for text in (title, title + " in Türkiye"):
        assert [m.topic for m in match_topics(text, "An abstract.", [topic])] == ["t"], text
