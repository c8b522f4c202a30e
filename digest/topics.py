"""Assign papers to topics by the phrase and regex rules of topics.yaml."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from time import perf_counter, thread_time

from digest.config import TopicConfig, TopicRule
from digest.deadline import Overrun, time_limit
from digest.errors import ConfigError, shortened
from digest.models import TopicMatch

#: A rule found in the title counts this many times its weight; in the abstract, once.
TITLE_FACTOR = 2.0

#: The longest the rules may take on one paper.  Real rules take well under a millisecond; a
#: regex that backtracks without end ((.|.)*x, .*.*.*x: Python's re has no timeout, and
#: topics.yaml refuses only the nested repeats it can see) is stopped, and named.
MATCH_SECONDS = 2.0

#: What the rules may take over many papers in one process, in CPU time (a busy machine is no
#: slower rule): this many seconds, and this many more for each paper and for each 1,000
#: characters of its text.  Real rules take well under a millisecond on a real paper (2 KB), and
#: their time grows with the text (the bundled rules took 20-35 ms on an abstract of 20,000
#: characters, the longest taken); a slow regex that stays under MATCH_SECONDS on every paper
#: (.{0,300}.{0,300}.{0,300}x took 0.8 s a paper) would otherwise take that long for every paper
#: of the site.
BUDGET_SECONDS, BUDGET_SECONDS_PER_PAPER, BUDGET_SECONDS_PER_KB = 10.0, 0.01, 0.01

#: What errors about the rules name, for the caller to replace with the file's path (see
#: digest.build.topic_matcher): the rules do not know where they were read from.
RULES_FILE = "topics.yaml"


@dataclass
class MatchBudget:
    """The time the rules took so far over the papers matched with this budget, by topic.  Each
    process keeps its own (a forked worker gets a copy), so the limit holds in each."""

    papers: int = 0
    characters: int = 0
    seconds: float = 0.0
    by_topic: dict[str, float] = field(default_factory=dict)

    def charge(self, by_topic: dict[str, float], topics: Sequence[TopicConfig], characters: int = 0) -> None:
        """Count one paper's time, on ``characters`` of text; ConfigError naming the slowest of
        ``topics`` once it is over budget."""
        self.papers += 1
        self.characters += characters
        for slug, seconds in by_topic.items():
            self.by_topic[slug] = self.by_topic.get(slug, 0.0) + seconds
            self.seconds += seconds
        allowed = (BUDGET_SECONDS + BUDGET_SECONDS_PER_PAPER * self.papers
                   + BUDGET_SECONDS_PER_KB * self.characters / 1000)
        if self.seconds > allowed:
            slug, slowest = max(self.by_topic.items(), key=lambda item: item[1])
            raise ConfigError(f"topic '{slug}': its rules took {slowest:.1f} s of the "
                              f"{self.seconds:.1f} s the rules took on {self.papers:,} papers (real rules take "
                              f"well under a millisecond a paper); simplify its patterns", RULES_FILE,
                              key=f"topics[{[topic.slug for topic in topics].index(slug)}]")


def match_topics(title: str, abstract: str, topics: Sequence[TopicConfig],
                 keywords: Sequence[str] | None = None, budget: MatchBudget | None = None) -> tuple[TopicMatch, ...]:
    """The topics whose rules reach their minimum score on this paper, best first.

    The hub's keywords, when a snapshot has them, count like the abstract.  With a ``budget``,
    the time each topic's rules took is charged to it.
    """
    if keywords:
        abstract = f"{abstract} {'; '.join(keywords)}"
    matches: list[tuple[float, int, TopicMatch]] = []
    title_text, abstract_text = _Text.of(title), _Text.of(abstract)
    # The words of both texts, when both are plain: most phrases' words are not among them,
    # which one set operation tells.
    words = (frozenset(f"{title_text.lower} {abstract_text.lower}".encode("ascii").translate(_NOT_WORD).split())
             if title_text.plain and abstract_text.plain else None)
    topic = timed = None  # timed: the rule last begun, since ``tried``
    begun = tried = 0.0
    by_topic: dict[str, float] = {}
    try:
        with time_limit(MATCH_SECONDS):
            for order, topic in enumerate(topics):
                started, begun = thread_time(), perf_counter()
                score = 0.0
                terms: list[str] = []
                for rule in topic.rules:
                    if words is not None and rule.words is not None and rule.words.isdisjoint(words):
                        continue
                    timed, tried = rule, perf_counter()  # only its own time blames a rule
                    term = _found(rule, title_text)
                    factor = TITLE_FACTOR
                    if term is None:
                        term, factor = _found(rule, abstract_text), 1.0
                    if term is None:
                        continue
                    score += rule.weight * factor
                    if term not in terms:
                        terms.append(term)
                # Weights add up as decimals: 0.7 + 0.1 + 0.1 + 0.1 reaches a min_score of 1 (in binary
                # floating point it falls short by 1e-16).
                if terms and round(score, 9) >= round(topic.min_score, 9):
                    matches.append((-score, order, TopicMatch(topic.slug, score, tuple(terms))))
                by_topic[topic.slug] = thread_time() - started
    except Overrun:
        # The rule at work when time ran out is to blame only if it took most of the time, and its
        # topic only if its rules did (thousands of rules, each fast, add up too), by the clock the
        # limit keeps: on a busy machine a runaway rule gets little CPU time.
        now = perf_counter()
        if topic is not None and timed in topic.rules and now - tried >= MATCH_SECONDS / 2:
            key = f"topics[{order}].rules[{topic.rules.index(timed)}]"
            label = shortened(timed.label[:-1], 79) + timed.label[-1]  # a regex's closing / kept
            raise ConfigError(f"topic '{topic.slug}', rule {label}: took more than {MATCH_SECONDS:g} s "
                              f"on the paper '{shortened(title)}'; simplify the pattern", RULES_FILE, key=key) from None
        if topic is not None and now - begun >= MATCH_SECONDS / 2:
            raise ConfigError(f"topic '{topic.slug}': its {len(topic.rules):,} rules took more than "
                              f"{MATCH_SECONDS:g} s together on the paper '{shortened(title)}'; simplify its patterns, "
                              f"or have fewer", RULES_FILE, key=f"topics[{order}]") from None
        rules = sum(len(each.rules) for each in topics)
        raise ConfigError(f"the {rules:,} topic rules took more than {MATCH_SECONDS:g} s together on the paper "
                          f"'{shortened(title)}'; simplify the patterns, or have fewer", RULES_FILE) from None
    if budget is not None:
        budget.charge(by_topic, topics, len(title) + len(abstract))
    return tuple(match for _, _, match in sorted(matches, key=lambda m: (m[0], m[1])))


#: Each byte of lowercased ASCII text that is not a word character (``[0-9a-z_]``) -> a space.
_NOT_WORD = bytes(byte if chr(byte) in "0123456789abcdefghijklmnopqrstuvwxyz_" else 32 for byte in range(256))
_SEPARATORS = re.compile("[\x1c-\x1f]")


@dataclass(frozen=True, slots=True)
class _Text:
    """A title or abstract as the rules search it."""

    text: str
    lower: str
    #: ASCII without information separators: a rule's ASCII patterns find what its own would.
    plain: bool

    @classmethod
    def of(cls, text: str) -> _Text:
        return cls(text, text.lower(), text.isascii() and not _SEPARATORS.search(text))


def _found(rule: TopicRule, text: _Text) -> str | None:
    """What the rule finds first in the text, lowercased, or None."""
    if text.plain:
        # A substring test is far cheaper than the regex; most rules fail it.  Beyond ASCII,
        # ignoring case also takes "ſ" for "s", which no needle shows.
        if rule.needle and rule.needle not in text.lower:
            return None
        if rule.ascii_pattern is not None:
            found = rule.ascii_pattern.search(text.lower)
            return found.group(0) if found else None
        if rule.ascii_regex is not None:
            return _term(rule.ascii_regex, text.text)
    return _term(rule.pattern, text.text)


def _term(pattern: re.Pattern, text: str) -> str | None:
    """The first text the regex finds, lowercased, or None: an empty match is no term (the
    settings refuse a regex that matches empty text, but no check sees every such pattern)."""
    found = pattern.search(text)
    if found is None:
        return None
    if not found.group(0):
        found = next((match for match in pattern.finditer(text) if match.group(0)), None)
    return found.group(0).lower() if found else None
