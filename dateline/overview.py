"""The home page's overview chart: events per year, or per month for sites spanning up to three years.

Only numbers and positions are computed here; templates/partials/overview.html
draws them as SVG. Horizontal positions are percentages, so the chart fills
any width while its text stays at its real size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .model import Event

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_MONTH_SPAN_YEARS = 3
CHART_TOP = 22  # room for the count above the tallest bar
CHART_BASE = 118  # the baseline's y
MAX_TICKS = 8  # labels that fit under the chart on a phone


@dataclass(frozen=True)
class Bar:
    """One period of the chart."""

    year: int
    month: int | None
    count: int
    href: str | None  # site-relative URL of the period, None when it has no events
    x: float  # left edge, percent of the width
    width: float  # percent of the width
    height: float  # px

    @property
    def label(self) -> str:
        return str(self.year) if self.month is None else f"{MONTH_ABBR[self.month - 1]} {self.year}"

    @property
    def centre(self) -> float:
        return self.x + self.width / 2

    @property
    def top(self) -> float:
        return CHART_BASE - self.height


@dataclass(frozen=True)
class Tick:
    """A label under the chart."""

    x: float
    text: str
    row: int  # 0: first row under the baseline, 1: second row


@dataclass(frozen=True)
class Overview:
    unit: str  # "year" or "month"
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    undated_in_month: int  # events known only to the year, left out of a monthly chart
    show_counts: bool

    @property
    def busiest(self) -> Bar:
        return max(self.bars, key=lambda b: (b.count, -b.year, -(b.month or 0)))

    @property
    def total(self) -> int:
        return sum(b.count for b in self.bars)

    base = CHART_BASE
    top = CHART_TOP


def plan_overview(events: tuple[Event, ...] | list[Event], period_url: dict[tuple[int, int | None], str]) -> Overview | None:
    """Count events per period and lay out the bars; `period_url` maps (year, month|None) to its page."""
    if not events:
        return None
    first, last = events[0].date.year, events[-1].date.year
    monthly = last - first + 1 <= MAX_MONTH_SPAN_YEARS and any(e.date.month for e in events)
    if monthly:
        counts = Counter((e.date.year, e.date.month) for e in events if e.date.month)
        known = sorted(counts)
        periods: list[tuple[int, int | None]] = []
        year, month = known[0]
        while (year, month) <= known[-1]:
            periods.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        undated = sum(1 for e in events if e.date.month is None)
    else:
        counts = Counter((e.date.year, None) for e in events)
        periods = [(y, None) for y in range(first, last + 1)]
        undated = 0
    peak = max(counts.values())
    slot = 100 / len(periods)
    width = min(slot * 0.8, 9.0)  # a few bars stay bars, not slabs
    bars = []
    for i, period in enumerate(periods):
        count = counts.get(period, 0)
        height = 0.0 if not count else max(3.0, round((CHART_BASE - CHART_TOP) * count / peak, 1))
        bars.append(Bar(period[0], period[1], count, period_url.get(period) if count else None,
                        round(i * slot + (slot - width) / 2, 3), round(width, 3), height))
    ticks = _month_ticks(bars) if monthly else _year_ticks(bars)
    return Overview("month" if monthly else "year", tuple(bars), tuple(ticks), undated, len(bars) <= 16)


def _year_ticks(bars: list[Bar]) -> list[Tick]:
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 10000) if len(bars) / s <= MAX_TICKS)
    return [Tick(b.centre, str(b.year), 0) for b in bars if b.year % step == 0 or len(bars) == 1]


def _month_ticks(bars: list[Bar]) -> list[Tick]:
    every = 1 if len(bars) <= 12 else 3 if len(bars) <= 24 else 6
    ticks = [Tick(b.centre, MONTH_ABBR[b.month - 1], 0) for b in bars if (b.month - 1) % every == 0]
    ticks += [Tick(b.centre, str(b.year), 1) for i, b in enumerate(bars) if i == 0 or b.month == 1]
    return ticks
