"""The site model: validated, immutable content ready to render."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .dates import FuzzyDate

STATUSES = ("published", "draft", "retracted")


@dataclass(frozen=True)
class FieldDef:
    """One of the site's own structured event fields (site.yaml `fields:`)."""

    id: str
    type: str
    label: str
    unit: str = ""
    values: tuple[Any, ...] = ()
    filter: bool = False
    description: str = ""


@dataclass(frozen=True)
class SiteConfig:
    """Settings from site.yaml."""

    title: str
    base_url: str
    description: str = ""
    language: str = "en"
    timezone: str = "UTC"
    author: str = ""
    publish_source_text: bool = False
    fields: tuple[FieldDef, ...] = ()
    file: str = ""
    options: dict[str, Any] = field(default_factory=dict, hash=False)

    def option(self, name: str, default: int) -> int:
        """Return a numeric build option from site.yaml, or its default."""
        value = self.options.get(name)
        return value if isinstance(value, int) and value > 0 else default

    @property
    def base_path(self) -> str:
        """Return the URL path the site lives under, e.g. '/nk-missiles/'."""
        rest = self.base_url.split("://", 1)[-1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return path if path.endswith("/") else path + "/"


@dataclass(frozen=True)
class Tag:
    id: str
    name: str
    description: str = ""
    group: str = ""


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    file: str
    publisher: str = ""
    author: str = ""
    published: FuzzyDate | None = None
    accessed: FuzzyDate | None = None
    url: str = ""
    archive_url: str = ""
    language: str = ""
    note: str = ""
    text: str | None = None

    @property
    def attribution(self) -> str:
        """Return who a quote from this source is attributed to by default."""
        return self.publisher or self.title


@dataclass(frozen=True)
class Quote:
    text: str
    source: str
    speaker: str = ""
    note: str = ""
    verified: bool | None = None  # None: the source has no stored text
    line: int = 0


@dataclass(frozen=True)
class Update:
    date: FuzzyDate
    note: str


@dataclass(frozen=True)
class Location:
    name: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Event:
    id: str
    date: FuzzyDate
    title: str
    summary: str
    file: str
    end_date: FuzzyDate | None = None
    circa: bool = False
    tags: tuple[str, ...] = ()
    details: tuple[tuple[str, Any], ...] = ()
    location: Location | None = None
    quotes: tuple[Quote, ...] = ()
    sources: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    status: str = "published"
    updates: tuple[Update, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def cited_sources(self) -> tuple[str, ...]:
        """Return every source id the event relies on, listed and quoted, in first-seen order."""
        seen = dict.fromkeys(self.sources)
        seen.update(dict.fromkeys(q.source for q in self.quotes))
        return tuple(seen)

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.date.sort_key, self.id)


@dataclass(frozen=True)
class Site:
    """Everything a build renders."""

    config: SiteConfig
    tags: dict[str, Tag] = field(hash=False)
    sources: dict[str, Source] = field(hash=False)
    events: tuple[Event, ...] = ()  # chronological; drafts only when asked for
    by_id: dict[str, Event] = field(default_factory=dict, hash=False)
    history: Any = field(default=None, hash=False, compare=False)  # dateline.history.History, set at build time
