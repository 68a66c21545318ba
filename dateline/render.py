"""Render planned pages to bytes through Jinja templates."""

from __future__ import annotations

import json
import re
from datetime import datetime
import traceback
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from markupsafe import Markup

from .dates import FuzzyDate, format_date, format_range, rfc3339
from .diagnostics import Diagnostic, ERROR
from .feeds import entry_times
from .load import display_path
from .markup import MarkdownRenderer
from .model import Event, Site
from .pages import Page

DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


class TemplateProblem(Exception):
    """A template could not be compiled or rendered; carries the diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def template_dirs(source: Path) -> list[Path]:
    """Return the template search path: the site's own templates first, then the defaults."""
    own = source / "templates"
    dirs = [own] if own.is_dir() and own.resolve() != DEFAULT_TEMPLATES else []
    return dirs + [DEFAULT_TEMPLATES]


def make_environment(dirs: list[Path], site: Site, markdown: MarkdownRenderer | None = None) -> jinja2.Environment:
    """Create the Jinja environment with Dateline's filters and globals."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    md = markdown or MarkdownRenderer()
    config = site.config
    base_path = config.base_path
    base_url = config.base_url if config.base_url.endswith("/") else config.base_url + "/"
    tz = config.timezone

    def url(path: str = "") -> str:
        return base_path + path.lstrip("/")

    def abs_url(path: str = "") -> str:
        return base_url + path.lstrip("/")

    env.globals.update(site=site, config=config, url=url, abs_url=abs_url, months=MONTHS, event_item=EventItems(env),
                       fields={f.id: f for f in config.fields},
                       entry_times=lambda event: entry_times(event, site.history))
    env.filters.update(
        markdown=lambda text: Markup(md.render(text)),
        plain_summary=lambda text: md.plain(text, 220),
        plain=lambda text, limit=0: md.plain(text, limit),
        lead=_lead,
        lead_html=lambda text: Markup(md.lead(text)),
        long_date=lambda stamp: format_date(_local_day(stamp, tz)),
        rfc3339=rfc3339,
        bibtex=_bibtex,
        number=lambda n: f"{n:,}",
        date=lambda d, circa=False: format_date(d, circa=circa, timezone=tz) if isinstance(d, FuzzyDate) else "",
        when=_memo_by_identity(lambda e: format_range(e.date, e.end_date, circa=e.circa, timezone=tz)),
        month_name=lambda m: MONTHS[m - 1],
        json_script=_json_script,
        tag=lambda tag_id: site.tags[tag_id],
        source=lambda source_id: site.sources[source_id],
        speaker=lambda q: q.speaker or site.sources[q.source].attribution,
    )
    return env


class EventItems:
    """`event_item(event, title_level)` in templates: partials/event_item.html, rendered once per event and level.

    An event appears on the home page, its year page, each of its tags' pages and its sources' pages;
    its list item is rendered the first time and reused after. The partial therefore sees only `event`,
    `title_level` and the globals, not the including page's variables. A build cache may hand in items
    earlier builds rendered (`stored`, keyed by (digest_of(event), level)) and collect the new ones.
    """

    TEMPLATE = "partials/event_item.html"

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self.digest_of: Callable[[Event], bytes] | None = None
        self.stored: dict[tuple[bytes, int], str] = {}
        self.new: dict[tuple[bytes, int], str] = {}
        self._made: dict[tuple[str, int], tuple[Event, Markup]] = {}
        self._template: jinja2.Template | None = None
        self._generic = False
        self._any_level: dict[str, tuple[Event, str]] = {}

    def __call__(self, event: Event, title_level: int = 4) -> Markup:
        made = self._made.get((event.id, title_level))
        if made is not None and made[0] is event:  # events are immutable: the same object, the same item
            return made[1]
        key = (self.digest_of(event), title_level) if self.digest_of is not None else None
        html = self.stored.get(key) if key is not None else None
        if html is None:
            html = self._render(event, title_level)
            if key is not None:
                self.new[key] = html
        markup = Markup(html)
        self._made[(event.id, title_level)] = (event, markup)
        return markup

    _LEVEL = "\x00title_level\x00"

    def _render(self, event: Event, title_level: int) -> str:
        """Render the partial; when it only prints title_level, once for every level, with a stand-in."""
        if self._template is None:
            self._template = self.env.get_template(self.TEMPLATE)
            self._generic = self._only_printed()
        if not self._generic or not isinstance(title_level, int):
            return self._template.render(event=event, title_level=title_level)
        found = self._any_level.get(event.id)
        if found is None or found[0] is not event:
            found = self._any_level[event.id] = (event, self._template.render(event=event, title_level=self._LEVEL))
        return found[1].replace(self._LEVEL, str(title_level))

    def _only_printed(self) -> bool:
        """Tell whether the partial uses title_level only as `{{ title_level }}` (or `| default(n)`)."""
        try:
            source = self.env.loader.get_source(self.env, self.TEMPLATE)[0] if self.env.loader else ""
            tree = self.env.parse(source)
        except jinja2.TemplateError:
            return False
        if self._LEVEL in source or "include" in source or "import" in source or "extends" in source:
            return False  # what another template does with it is not seen here
        uses = sum(1 for name in tree.find_all(jinja2.nodes.Name) if name.name == "title_level")
        printed = 0
        for output in tree.find_all(jinja2.nodes.Output):
            for child in output.nodes:
                if isinstance(child, jinja2.nodes.Filter) and child.name == "default" and not child.kwargs:
                    child = child.node
                if isinstance(child, jinja2.nodes.Name) and child.name == "title_level":
                    printed += 1
        return uses == printed


def render_pages(pages: list[Page], env: jinja2.Environment,
                 on_page: Callable[[Page], None] | None = None) -> dict[str, bytes]:
    """Render every page; raise TemplateProblem on the first template error."""
    out: dict[str, bytes] = {}
    cache: dict[str, jinja2.Template] = {}
    for page in pages:
        template = cache.get(page.template)
        if template is None:
            template = cache[page.template] = _load(env, page.template)
        try:
            html = template.render(page.context, page=page)
        except jinja2.TemplateError as exc:
            raise TemplateProblem(_template_diagnostic(exc, env, page)) from None
        except Exception as exc:  # a template calling a filter on bad data, e.g.
            raise TemplateProblem(_template_diagnostic(exc, env, page)) from None
        out[page.path] = html.encode("utf-8")
    return out


def _load(env: jinja2.Environment, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(Diagnostic(
            _shown(exc.filename or name), exc.lineno or 1, 1, ERROR, "template-syntax", exc.message or str(exc),
            "see https://jinja.palletsprojects.com/en/stable/templates/")) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateProblem(Diagnostic(
            "templates", 1, 1, ERROR, "template-missing", f"template '{exc.name}' not found",
            "add it to templates/ or remove the reference")) from None


def _template_diagnostic(exc: Exception, env: jinja2.Environment, page: Page) -> Diagnostic:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Diagnostic(_shown(exc.filename or page.template), exc.lineno or 1, 1, ERROR, "template-syntax",
                          exc.message or str(exc))
    # Jinja rewrites tracebacks so that template frames carry the template's file and line.
    file, line = page.template, 1
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and frame.filename.endswith((".html", ".xml", ".txt", ".json", ".j2")):
            file, line = _shown(frame.filename), frame.lineno or 1
            break
    if isinstance(exc, jinja2.TemplateNotFound):
        return Diagnostic(file, line, 1, ERROR, "template-missing",
                          f"template '{exc.name}' not found (while rendering /{page.url})",
                          "add it to templates/ or correct the name")
    if isinstance(exc, jinja2.UndefinedError):
        return Diagnostic(file, line, 1, ERROR, "template-undefined", f"{exc} (while rendering /{page.url})",
                          "check the variable name; templates see the page's context plus site, config, url()")
    return Diagnostic(file, line, 1, ERROR, "template-error", f"{exc} (while rendering /{page.url})")


def _shown(filename: str) -> str:
    return display_path(Path(filename))


def _json_script(value: Any) -> Markup:
    """Serialise for a <script type=application/ld+json>, unable to close the element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                   "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


_BIBTEX_TABLE = str.maketrans(_BIBTEX_SPECIAL)


def _bibtex(text: str) -> str:
    """Escape text for a BibTeX field value in braces."""
    return str(text).translate(_BIBTEX_TABLE)


def _memo_by_identity(func: Callable[[Any], str]) -> Callable[[Any], str]:
    """Remember func's result per object, for filters that pages call several times on one immutable event."""
    seen: dict[int, tuple[Any, str]] = {}

    def remembered(value: Any) -> str:
        found = seen.get(id(value))
        if found is None or found[0] is not value:
            found = seen[id(value)] = (value, func(value))
        return found[1]

    return remembered


def _local_day(stamp: str, zone: str) -> FuzzyDate:
    """Return the calendar day, in the site's time zone, of an RFC 3339 UTC timestamp."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    try:
        moment = moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        pass
    return FuzzyDate(moment.year, moment.month, moment.day)


def _lead(text: str) -> str:
    """Return the first paragraph of a Markdown text, for lists of events."""
    return _PARAGRAPH_BREAK.split(text.strip(), 1)[0]


def event_summary_text(event: Event) -> str:
    """Return the first paragraph of a summary as plain text, for descriptions."""
    first = event.summary.strip().split("\n\n", 1)[0]
    return " ".join(first.split())
