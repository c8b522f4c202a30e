"""Inline SVG charts made at build time: a paper's rank history and a topic's papers per day.

No JavaScript and no colour needed to read them: ranks are printed beside
their markers, and each chart carries a text description (the paper page's
table of appearances is its full text equivalent).  Only numbers and dates
go into the SVG, never snapshot text.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from markupsafe import Markup

from digest.models import Appearance
from digest.text import short_date

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 40, 22, 34
#: Room a character of an axis label ("#120") takes, in the chart's units, at its larger text on
#: narrow screens; the left margin grows with the labels, which are printed left of the plot.
AXIS_CHARACTER, AXIS_GAP = 14, 10


def _left(worst: int) -> int:
    """The chart's left margin, where ranks down to ``worst`` are printed."""
    return max(LEFT, AXIS_GAP + AXIS_CHARACTER * len(f"#{worst}"))


def _x(index: int, count: int, left: int) -> float:
    if count <= 1:
        return left + (WIDTH - left - RIGHT) / 2
    return left + index * (WIDTH - left - RIGHT) / (count - 1)


#: Room a printed rank needs, in the chart's units (its text is larger on narrow screens).
LABEL_GAP = 40


#: Room a date under the chart needs, in the chart's units, at its larger text on narrow screens;
#: between the first date, which starts at its day, and the next, half as much again.
DATE_GAP = 80
FIRST_DATE_GAP = DATE_GAP * 3 // 2


def _date_labels(count: int, left: int) -> set[int]:
    """Which of ``count`` days get a date under the chart: as many as there is room for, evenly
    spaced, the first and the last (which takes the place of the one before it)."""
    if count <= 1:
        return set(range(count))
    step = (WIDTH - left - RIGHT) / (count - 1)
    every = math.ceil(DATE_GAP / step)
    indexes = list(range(0, count, every))
    if indexes[-1] != count - 1:
        if len(indexes) > 1:
            indexes.pop()
        indexes.append(count - 1)
    # The first date starts at its day (see rank_chart), not centred on it: the next needs more room.
    if len(indexes) > 2 and indexes[1] * step < FIRST_DATE_GAP:
        del indexes[1]
    return set(indexes)


def rank_chart(appearances: Sequence[Appearance], days: Sequence[dt.date], chart_id: str) -> Markup:
    """A line chart of rank (1 at the top) over the list days from first to last appearance.

    Days inside that span on which the paper was absent break the line.
    """
    if not appearances:
        return Markup("")
    first, last = appearances[0].date, appearances[-1].date
    span = days[bisect_left(days, first):bisect_right(days, last)]  # days are in order; archives are long
    rank_on = {a.date: a.rank for a in appearances}
    worst = max(10, max(rank_on.values()))
    left = _left(worst)
    plot_h = HEIGHT - TOP - BOTTOM

    def y(rank: int) -> float:
        return TOP + (rank - 1) * plot_h / (worst - 1)

    parts = []
    # Horizontal guides at rank 1, the middle and the bottom.
    for rank in sorted({1, (worst + 1) // 2, worst}):
        parts.append(f'<line class="guide" x1="{left}" x2="{WIDTH - RIGHT}" y1="{y(rank):.1f}" y2="{y(rank):.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y(rank) + 4:.1f}" text-anchor="end">#{rank}</text>')
    run: list[str] = []
    for index, day in enumerate(span):
        if day in rank_on:
            run.append(f"{_x(index, len(span), left):.1f},{y(rank_on[day]):.1f}")
        else:
            if len(run) > 1:
                parts.append(f'<polyline class="line" points="{" ".join(run)}"/>')
            run = []
    if len(run) > 1:
        parts.append(f'<polyline class="line" points="{" ".join(run)}"/>')
    dated = _date_labels(len(span), left)
    labelled_x = -LABEL_GAP
    for index, day in enumerate(span):
        x = _x(index, len(span), left)
        if day in rank_on:
            rank = rank_on[day]
            parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y(rank):.1f}" r="4"/>')
            # A rank is printed where there is room for it: a run of days is described in full
            # by the chart's text and the table of appearances.
            if x - labelled_x >= LABEL_GAP:
                labelled_x = x
                # At the left edge, clear of the axis labels; at the right edge, inside the chart.
                anchor, at = (("start", x - 4) if x - left < LABEL_GAP / 2 else
                              ("end", x + 4) if WIDTH - RIGHT - x < LABEL_GAP / 2 else ("middle", x))
                parts.append(f'<text class="value" x="{at:.1f}" y="{y(rank) - 8:.1f}" '
                             f'text-anchor="{anchor}">#{rank}</text>')
        if index in dated:
            # The first date starts at its day, clear of the ranks printed left of the chart.
            anchor = "start" if index == 0 and len(span) > 1 else "middle"
            parts.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}">'
                         f'{short_date(day)[:-5]}</text>')
    description = "; ".join(f"#{a.rank} on {short_date(a.date)}" for a in appearances)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">Rank history</title>'
        f'<desc id="{chart_id}-desc">{description}</desc>{"".join(parts)}</svg>'
    )


def sparkline(counts: Sequence[int], days: Sequence[dt.date], chart_id: str) -> Markup:
    """A small line of how many papers a topic had on each list day."""
    if not counts:
        return Markup("")
    width, height, pad = 120, 28, 3
    top = max(max(counts), 1)
    step = (width - 2 * pad) / max(len(counts) - 1, 1)
    points = " ".join(f"{pad + i * step:.1f},{height - pad - c * (height - 2 * pad) / top:.1f}"
                      for i, c in enumerate(counts))
    shape = (f'<polyline class="line" points="{points}"/>' if len(counts) > 1 else
             f'<circle class="dot" cx="{width / 2}" cy="{height - pad - counts[0] * (height - 2 * pad) / top:.1f}" r="2"/>')
    text = ", ".join(f"{c} on {short_date(d)}" for c, d in zip(counts, days))
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}">Papers per list day: {text}</title>{shape}</svg>'
    )
