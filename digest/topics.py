"""Assign papers to topics by the phrase and regex rules of topics.yaml."""

from __future__ import annotations

from collections.abc import Sequence

from digest.config import TopicConfig
from digest.models import TopicMatch

#: A rule found in the title counts this many times its weight; in the abstract, once.
TITLE_FACTOR = 2.0


def match_topics(title: str, abstract: str, topics: Sequence[TopicConfig],
                 keywords: Sequence[str] | None = None) -> tuple[TopicMatch, ...]:
    """The topics whose rules reach their minimum score on this paper, best first.

    The hub's keywords, when a snapshot has them, count like the abstract.
    """
    if keywords:
        abstract = f"{abstract} {'; '.join(keywords)}"
    matches: list[tuple[float, int, TopicMatch]] = []
    lower_title, lower_abstract = title.lower(), abstract.lower()
    for order, topic in enumerate(topics):
        score = 0.0
        terms: list[str] = []
        for rule in topic.rules:
            # A substring test is far cheaper than the regex; most rules fail it.
            in_title = not rule.needle or rule.needle in lower_title
            in_abstract = not rule.needle or rule.needle in lower_abstract
            found = rule.pattern.search(title) if in_title else None
            factor = TITLE_FACTOR
            if found is None:
                found, factor = (rule.pattern.search(abstract) if in_abstract else None), 1.0
            if found is None:
                continue
            score += rule.weight * factor
            term = found.group(0).lower()
            if term not in terms:
                terms.append(term)
        if terms and score >= topic.min_score:
            matches.append((-score, order, TopicMatch(topic.slug, score, tuple(terms))))
    return tuple(match for _, _, match in sorted(matches, key=lambda m: (m[0], m[1])))
