"""Plan the site: which pages exist, with which template and context."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .history import changes_context
from .model import Event, Site

HOME_EVENTS = 100
PAGE_SIZE = 200


@dataclass(frozen=True)
class Page:
    """One HTML page to render: its URL path (relative to the site root), template and context."""

    url: str
    template: str
    context: dict[str, Any] = field(hash=False)

    @property
    def path(self) -> str:
        """Return the output file path, e.g. 'events/x/index.html'."""
        return self.url + "index.html" if self.url.endswith("/") or not self.url else self.url


@dataclass(frozen=True)
class Group:
    """Events of one month (or of one year, for year-precision dates)."""

    year: int
    month: int | None
    events: tuple[Event, ...]

    @property
    def anchor(self) -> str:
        return f"y{self.year}" if self.month is None else f"y{self.year}-{self.month:02d}"


@dataclass(frozen=True)
class Pager:
    """Position of one page among the pages of a long list."""

    number: int
    count: int
    base: str

    def url(self, number: int) -> str:
        return self.base if number == 1 else f"{self.base}page/{number}/"

    @property
    def prev_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.count else None


def group_events(events: tuple[Event, ...] | list[Event]) -> list[Group]:
    """Group chronological events by year and month, keeping their order."""
    groups: list[Group] = []
    current: list[Event] = []
    key: tuple[int, int | None] | None = None
    for event in events:
        k = (event.date.year, event.date.month)
        if k != key and current:
            groups.append(Group(key[0], key[1], tuple(current)))  # type: ignore[index]
            current = []
        key = k
        current.append(event)
    if current and key is not None:
        groups.append(Group(key[0], key[1], tuple(current)))
    return groups


def years_of(site: Site) -> list[tuple[int, int]]:
    """Return (year, event count) for every year with events, in order."""
    counts: dict[int, int] = defaultdict(int)
    for event in site.events:
        counts[event.date.year] += 1
    return sorted(counts.items())


def plan_pages(site: Site) -> list[Page]:
    """List every HTML page of the site."""
    events = site.events
    backlinks: dict[str, list[str]] = defaultdict(list)
    for event in events:
        for other in event.related:
            backlinks[other].append(event.id)
    years = years_of(site)
    home_size = site.config.option("home_events", HOME_EVENTS)
    page_size = site.config.option("year_page_size", PAGE_SIZE)
    recent = events[-home_size:]
    pages = [Page("", "home.html", {"groups": group_events(recent), "years": years,
                                    "is_complete": len(recent) == len(events)})]
    for i, event in enumerate(events):
        related_ids = dict.fromkeys(list(event.related) + backlinks.get(event.id, []))
        related = [site.by_id[r] for r in related_ids if r in site.by_id and r != event.id]
        pages.append(Page(f"events/{event.id}/", "event.html", {
            "event": event, "related": related,
            "prev": events[i - 1] if i > 0 else None,
            "next": events[i + 1] if i + 1 < len(events) else None,
        }))
        for alias in event.aliases:
            pages.append(Page(f"events/{alias}/", "redirect.html", {"event": event}))
    by_year: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        by_year[event.date.year].append(event)
    for year, _ in years:
        pages.extend(_paged(f"years/{year}/", "year.html", by_year[year], page_size, {"year": year, "years": years}))
    by_tag: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        for tag in event.tags:
            by_tag[tag].append(event)
    pages.append(Page("tags/", "tags.html", {"counts": {t: len(by_tag[t]) for t in site.tags}}))
    for tag_id, tag in sorted(site.tags.items()):
        pages.extend(_paged(f"tags/{tag_id}/", "tag.html", by_tag[tag_id], page_size, {"tag": tag}))
    cited: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        for source_id in event.cited_sources:
            cited[source_id].append(event)
    pages.append(Page("sources/", "sources.html", {"counts": {s: len(cited[s]) for s in site.sources}}))
    for source_id, source in sorted(site.sources.items()):
        pages.append(Page(f"sources/{source_id}/", "source.html", {"source": source, "events": cited[source_id]}))
    pages.append(Page("changes/", "changes.html", changes_context(site)))
    pages.append(Page("404.html", "404.html", {}))
    return pages


def _paged(base: str, template: str, events: list[Event], size: int, context: dict[str, Any]) -> list[Page]:
    count = max(1, -(-len(events) // size))
    pages = []
    for number in range(1, count + 1):
        chunk = events[(number - 1) * size: number * size]
        pager = Pager(number, count, base)
        pages.append(Page(pager.url(number), template,
                          {**context, "groups": group_events(chunk), "pager": pager, "total": len(events)}))
    return pages
