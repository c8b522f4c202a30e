"""Assign papers to topics by the phrase and regex rules of topics.yaml."""

from __future__ import annotations

from collections.abc import Sequence

from digest.config import TopicConfig, TopicRule
from digest.deadline import Overrun, time_limit
from digest.errors import DigestError
from digest.models import TopicMatch

#: A rule found in the title counts this many times its weight; in the abstract, once.
TITLE_FACTOR = 2.0

#: The longest the rules may take on one paper.  Real rules take well under a millisecond; a
#: regex that backtracks without end ((.|.)*x, .*.*.*x: Python's re has no timeout, and
#: topics.yaml refuses only the nested repeats it can see) is stopped, and named.
MATCH_SECONDS = 2.0


def match_topics(title: str, abstract: str, topics: Sequence[TopicConfig],
                 keywords: Sequence[str] | None = None) -> tuple[TopicMatch, ...]:
    """The topics whose rules reach their minimum score on this paper, best first.

    The hub's keywords, when a snapshot has them, count like the abstract.
    """
    if keywords:
        abstract = f"{abstract} {'; '.join(keywords)}"
    matches: list[tuple[float, int, TopicMatch]] = []
    title_text = (title, title.lower(), title.isascii())
    abstract_text = (abstract, abstract.lower(), abstract.isascii())
    topic = rule = None
    try:
        with time_limit(MATCH_SECONDS):
            for order, topic in enumerate(topics):
                score = 0.0
                terms: list[str] = []
                for rule in topic.rules:
                    # A substring test is far cheaper than the regex; most rules fail it.
                    term = _found(rule, *title_text)
                    factor = TITLE_FACTOR
                    if term is None:
                        term, factor = _found(rule, *abstract_text), 1.0
                    if term is None:
                        continue
                    score += rule.weight * factor
                    if term not in terms:
                        terms.append(term)
                if terms and score >= topic.min_score:
                    matches.append((-score, order, TopicMatch(topic.slug, score, tuple(terms))))
    except Overrun:
        raise DigestError(f"topics.yaml: topic '{topic.slug}', rule {rule.label}: took more than {MATCH_SECONDS:g} s "
                          f"on the paper '{title[:60]}'; simplify the pattern") from None
    return tuple(match for _, _, match in sorted(matches, key=lambda m: (m[0], m[1])))


def _found(rule: TopicRule, text: str, lower: str, ascii: bool) -> str | None:
    """What the rule finds first in the text, lowercased, or None."""
    if rule.needle and rule.needle not in lower:
        return None
    if ascii and rule.ascii_pattern is not None:
        found = rule.ascii_pattern.search(lower)
        return found.group(0) if found else None
    found = rule.pattern.search(text)
    return found.group(0).lower() if found else None
