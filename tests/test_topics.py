"""digest.topics: a topic rule that backtracks without end is stopped and named, not run for ever."""

from __future__ import annotations

import re
import shutil
import time

import pytest

import digest.topics
from conftest import CONTENT, run_cli
from digest.config import TopicConfig, TopicRule
from digest.errors import DigestError
from digest.topics import match_topics

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


def test_a_runaway_regex_in_topics_yaml_fails_the_build_in_one_line(tmp_path):
    content = shutil.copytree(CONTENT, tmp_path / "content")
    topics = content / "topics.yaml"
    topics.write_text(topics.read_text().replace("      - phrase: inference\n",
                                                 f"      - regex: '{RUNAWAY}'\n      - phrase: inference\n", 1))
    for command in (("check", "--content", content), ("build", "--content", content, "--out", tmp_path / "site")):
        result = run_cli(*command, timeout=60)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert f"rule /{RUNAWAY}/: took more than 2 s on the paper" in result.stderr
    assert not (tmp_path / "site").exists()
