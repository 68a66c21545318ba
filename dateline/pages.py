"""Plan the site: which pages exist, with which template and context."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .history import changes_context
from .model import Event, Site
from .feeds import FEED_SIZE
from .overview import plan_overview
from .search import facet_value

HOME_EVENTS = 100
PAGE_SIZE = 200
SOURCES_PAGE_SIZE = 500
RELATED_LIMIT = 24


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
    chronological: bool = True  # label the links "earlier"/"later" rather than "previous"/"next"

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


@dataclass(frozen=True)
class Facet:
    """A filter readers can apply on the home page: a tag group, or a site field with its values."""

    id: str
    label: str
    options: tuple[tuple[str, str], ...]  # (value, label)


def plan_pages(site: Site) -> list[Page]:
    """List every HTML page of the site."""
    events = site.events
    years = years_of(site)
    page_size = site.config.option("year_page_size", PAGE_SIZE)
    by_year: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        by_year[event.date.year].append(event)
    year_pages: list[Page] = []
    for year, _ in years:
        year_pages.extend(_paged(f"years/{year}/", "year.html", by_year[year], page_size,
                                 {"year": year, "years": years}))
    event_home, period_url = _locate(year_pages)
    pages = [_home(site, years, period_url)]
    pages += _event_pages(site, event_home)
    pages += year_pages
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
    pages += _paged_list("sources/", "sources.html", sorted(site.sources.values(), key=lambda s: s.id), "sources",
                         SOURCES_PAGE_SIZE, {"counts": {s: len(cited[s]) for s in site.sources}})
    for source_id, source in sorted(site.sources.items()):
        pages += _paged_list(f"sources/{source_id}/", "source.html", cited[source_id], "events", page_size,
                             {"source": source}, chronological=True)
    pages.append(Page("data/", "data.html", {"feed_size": site.config.option("feed_size", FEED_SIZE)}))
    pages.append(Page("changes/", "changes.html", changes_context(site)))
    pages.append(Page("404.html", "404.html", {}))
    return pages


def _home(site: Site, years: list[tuple[int, int]], period_url: dict[tuple[int, int | None], str]) -> Page:
    events = site.events
    recent = events[-site.config.option("home_events", HOME_EVENTS):]
    return Page("", "home.html", {
        "groups": group_events(recent), "years": years, "is_complete": len(recent) == len(events),
        "total": len(events), "overview": plan_overview(events, period_url),
        "tag_facets": tag_facets(site), "field_facets": field_facets(site),
    })


def _event_pages(site: Site, event_home: dict[str, str]) -> list[Page]:
    events = site.events
    backlinks: dict[str, list[str]] = defaultdict(list)
    for event in events:
        for other in event.related:
            backlinks[other].append(event.id)
    pages = []
    for i, event in enumerate(events):
        related_ids = dict.fromkeys(list(event.related) + backlinks.get(event.id, []))
        # Backlinks are unbounded (anything may cite a landmark event): list the event's own first, then cap.
        related = [site.by_id[r] for r in related_ids if r in site.by_id and r != event.id][:RELATED_LIMIT]
        pages.append(Page(f"events/{event.id}/", "event.html", {
            "event": event, "related": related,
            "prev": events[i - 1] if i > 0 else None,
            "next": events[i + 1] if i + 1 < len(events) else None,
            "timeline_url": f"{event_home[event.id]}#{event.id}",
        }))
        for alias in event.aliases:
            pages.append(Page(f"events/{alias}/", "redirect.html", {"event": event}))
    return pages


def _locate(year_pages: list[Page]) -> tuple[dict[str, str], dict[tuple[int, int | None], str]]:
    """Map each event to the year page that lists it, and each year and month to where it starts."""
    event_home: dict[str, str] = {}
    period_url: dict[tuple[int, int | None], str] = {}
    for page in year_pages:
        for group in page.context["groups"]:
            period_url.setdefault((group.year, None), page.url)
            if group.month is not None:
                period_url.setdefault((group.year, group.month), f"{page.url}#{group.anchor}")
            for event in group.events:
                event_home[event.id] = page.url
    return event_home, period_url


def tag_facets(site: Site) -> list[Facet]:
    """Return one facet per tag group (ungrouped tags last), tags sorted by name."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for tag in sorted(site.tags.values(), key=lambda t: (t.name.lower(), t.id)):
        groups[tag.group].append((tag.id, tag.name))
    order = sorted(groups, key=lambda g: (g == "", g))
    return [Facet(g, g.capitalize() if g else "Other", tuple(groups[g])) for g in order]


def field_facets(site: Site) -> list[Facet]:
    """Return a facet per site field marked `filter: true`, with its allowed or used values."""
    facets = []
    for field_def in site.config.fields:
        if not field_def.filter:
            continue
        values = list(field_def.values) or sorted(
            {v for e in site.events for k, v in e.details if k == field_def.id}, key=str)
        facets.append(Facet(field_def.id, field_def.label, tuple((facet_value(v), facet_value(v)) for v in values)))
    return facets


def _paged(base: str, template: str, events: list[Event], size: int, context: dict[str, Any]) -> list[Page]:
    """Split a chronological list of events over pages, each grouped by month."""
    pages = _paged_list(base, template, events, "events", size, context, chronological=True)
    return [Page(p.url, p.template, {**p.context, "groups": group_events(p.context["events"])}) for p in pages]


def _paged_list(base: str, template: str, items: list[Any], key: str, size: int, context: dict[str, Any],
                chronological: bool = False) -> list[Page]:
    """Split a plain list over pages of `size`, passed to the template as `key`."""
    count = max(1, -(-len(items) // size))
    pages = []
    for number in range(1, count + 1):
        pager = Pager(number, count, base, chronological)
        pages.append(Page(pager.url(number), template, {**context, key: items[(number - 1) * size: number * size],
                                                        "pager": pager, "total": len(items)}))
    return pages
