"""Every page of the built example site, checked as a reader's browser and a careful web team would.

Each failure names the page's URL path, so a broken template is easy to find.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import lxml.etree
import pytest

from harness import Page, Site, SiteServer, describe_vnu_message, find_link_problems, run_vnu

browser_test = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = [375, 1440]


def report(title: str, problems: list[str]) -> str:
    """Format a list of problems as one readable failure message."""
    return f"{title} ({len(problems)}):\n  " + "\n  ".join(problems)


def by_page(found: list[tuple[str, str]]) -> list[str]:
    """Turn (page, problem) pairs into lines; a problem many pages share is one line naming them."""
    pages: dict[str, list[str]] = {}
    for page, problem in found:
        if page not in pages.setdefault(problem, []):
            pages[problem].append(page)
    lines = []
    for problem, where in pages.items():
        also = ""
        if len(where) > 1:
            shown = ", ".join(where[1:4]) + (", ..." if len(where) > 4 else "")
            also = f" (also on {len(where) - 1} other page{'s' if len(where) > 2 else ''}: {shown})"
        lines.append(f"{where[0]}: {problem}{also}")
    return lines


def is_offsite(url: str) -> bool:
    """Tell whether the browser would fetch url from anywhere but our local server."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss", "ftp") and parts.hostname != "127.0.0.1"


def open_page(context, server: SiteServer, page: Page, *, hold_redirect: bool = True):
    """Open page in a new tab; a redirect page is kept on screen instead of being followed."""
    tab = context.new_page()
    url = server.url(page.path)
    if page.redirect_to and hold_redirect:
        def hold(route, request):
            if request.is_navigation_request() and request.frame == tab.main_frame and request.url != url:
                route.abort("aborted")  # ERR_ABORTED keeps the current document
            else:
                route.continue_()

        tab.route("**/*", hold)
    tab.goto(url, wait_until="load")
    return tab


def event_page(site: Site) -> Page:
    """Pick one event page: the 14 January 2022 rail launch when there is one."""
    events = [p for p in site.pages if p.path.startswith(site.mount + "events/") and not p.redirect_to]
    events = [p for p in events if p.path.count("/") > (site.mount + "events/").count("/")]
    assert events, f"no event pages under {site.mount}events/"
    for hint in ("2022-01-14-rail", "2022-01-14"):
        for page in events:
            if hint in page.path:
                return page
    return events[0]


def home_page(site: Site) -> Page:
    """The home (timeline) page."""
    home = site.page_at(site.mount)
    assert home, f"no home page at {site.mount}"
    return home


# --- a. loads cleanly ---------------------------------------------------------


def _watch(tab, problems: list[str], *, expected_404: str | None = None) -> None:
    def on_console(msg):
        if msg.type == "error" and not (expected_404 and msg.location.get("url") == expected_404):
            where = msg.location.get("url") or ""
            problems.append(f"console error: {msg.text}" + (f" [{where}]" if where else ""))

    def on_response(response):
        if response.status >= 400 and response.url != expected_404:
            problems.append(f"HTTP {response.status} for {response.url}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"uncaught exception: {error}"))
    tab.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    tab.on("response", on_response)
    tab.on("request", lambda r: problems.append(f"off-site request: {r.url}") if is_offsite(r.url) else None)


@pytest.fixture
def clean_context(browser):
    context = browser.new_context()
    # Nothing off-site may load; abort rather than wait for a network that isn't there.
    context.route(is_offsite, lambda route: route.abort())
    yield context
    context.close()


def settle(tab, in_flight: set) -> None:
    """Wait until no request has been in flight for 100 ms (networkidle waits 500 ms)."""
    quiet = 0
    for _ in range(200):  # at most ~10 s
        tab.wait_for_timeout(50)
        quiet = quiet + 1 if not in_flight else 0
        if quiet >= 2:
            return


def track_requests(tab) -> set:
    """Return the live set of requests the tab has started and not yet finished."""
    in_flight: set = set()
    tab.on("request", lambda request: in_flight.add(request))
    tab.on("requestfinished", lambda request: in_flight.discard(request))
    tab.on("requestfailed", lambda request: in_flight.discard(request))
    return in_flight


@browser_test
def test_every_page_loads_without_errors_or_offsite_requests(site, server, clean_context):
    problems = []
    for page in site.pages:
        found: list[str] = []
        tab = clean_context.new_page()
        _watch(tab, found)
        in_flight = track_requests(tab)
        response = tab.goto(server.url(page.path), wait_until="load")
        settle(tab, in_flight)  # late fetches (search index, scripts) count too
        if response is None or response.status != 200:
            found.append(f"page answered HTTP {response.status if response else 'nothing'}")
        tab.close()
        problems += [(page.path, p) for p in found]
    assert not problems, report("console errors or failed/off-site requests", by_page(problems))


@browser_test
def test_unknown_url_gets_the_404_page_with_working_assets(site, server, clean_context):
    assert site.page_at(site.mount + "404.html"), f"no {site.mount}404.html was built"
    url = server.url(site.mount + "no/such/page/")
    tab = clean_context.new_page()
    found: list[str] = []
    _watch(tab, found, expected_404=url)
    in_flight = track_requests(tab)
    response = tab.goto(url, wait_until="load")
    settle(tab, in_flight)
    tab.close()
    assert response is not None and response.status == 404
    # 404.html is served at any depth, so its links and assets must not be relative.
    assert not found, report(f"{site.mount}404.html served at /no/such/page/", found)


# --- b. links and anchors -------------------------------------------------------


def test_every_internal_link_and_anchor_resolves(site):
    problems = find_link_problems(site)
    assert not problems, report("broken internal links or anchors", problems)


# --- c. HTML validity and XML well-formedness -----------------------------------


@browser_test
def test_nu_html_checker_finds_no_errors(site, vnu):
    java, jar = vnu
    messages = run_vnu(java, jar, site.root)
    problems = [describe_vnu_message(site, m) for m in messages]
    assert not problems, report("Nu HTML Checker errors", problems)


def test_feeds_and_sitemap_are_well_formed_xml(site):
    files = sorted(site.root.rglob("*.xml"))
    names = {f.relative_to(site.root).as_posix() for f in files}
    assert {"feed.xml", "sitemap.xml"} <= names, f"expected feed.xml and sitemap.xml, built {sorted(names)}"
    problems = []
    for file in files:
        try:
            lxml.etree.parse(str(file), lxml.etree.XMLParser(resolve_entities=False, no_network=True))
        except lxml.etree.XMLSyntaxError as error:
            problems.append(f"{site.mount}{file.relative_to(site.root).as_posix()}: {error}")
    assert not problems, report("malformed XML", problems)


# --- d. accessibility (axe-core) ------------------------------------------------

AXE_RUN = """async (tags) => {
  // resultTypes only trims the detail axe gathers for passing rules (faster).
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  }));
}"""


@browser_test
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_wcag_a_or_aa_violations(site, server, browser, axe_js, scheme):
    # bypass_csp: injecting axe must work even if pages set a strict CSP.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True)
    context.route(is_offsite, lambda route: route.abort())
    problems = []
    try:
        for page in site.pages:
            tab = open_page(context, server, page)
            tab.add_script_tag(path=str(axe_js))
            for v in tab.evaluate(AXE_RUN, AXE_TAGS):
                targets = ", ".join(v["targets"][:5]) + (" ..." if len(v["targets"]) > 5 else "")
                problems.append((page.path, f"[{v['impact']}] {v['id']}: {v['help']} -> {targets}"))
            tab.close()
    finally:
        context.close()
    assert not problems, report(f"axe violations in the {scheme} scheme", by_page(problems))


# --- e. keyboard ------------------------------------------------------------------

# Elements a Tab press should reach, in document order: focusable, rendered, not inert.
TABBABLE = """() => {
  const sel = 'a[href], area[href], button, input, select, textarea, summary, iframe, ' +
              '[tabindex], [contenteditable]:not([contenteditable="false"])';
  const radios = new Set();
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.disabled || el.tabIndex < 0 || el.closest('[inert]')) continue;
    if (el.matches('input[type=hidden]')) continue;
    if (el.localName === 'summary' && el.parentElement.querySelector(':scope > summary') !== el) continue;
    if (!el.checkVisibility({visibilityProperty: true}) || el.getClientRects().length === 0) continue;
    if (el.matches('input[type=radio][name]')) {
      const key = el.form + '|' + el.name;
      if (radios.has(key)) continue;
      const group = [...document.querySelectorAll('input[type=radio]')].filter(r => r.name === el.name && r.form === el.form);
      const checked = group.find(r => r.checked);
      if (checked && checked !== el) continue;
      radios.add(key);
    }
    out.push(el);
  }
  window.__expectedTabOrder = out;
  return out.map(el => window.__describe(el));
}"""

DESCRIBE = """window.__describe = (el) => {
  if (!el || el === document.body) return '<body> (focus left the page)';
  const label = (el.getAttribute('aria-label') || el.textContent || el.value || el.getAttribute('href') || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 50);
  return `<${el.localName}${el.id ? '#' + el.id : ''}> "${label}"`;
}"""

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 &&
                  style.outlineColor !== 'rgba(0, 0, 0, 0)' && style.outlineColor !== 'transparent';
  return {
    index: window.__expectedTabOrder.indexOf(el),
    name: window.__describe(el),
    focusVisible: el.matches(':focus-visible'),
    indicator: outline || style.boxShadow !== 'none',
    style: `outline: ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}; box-shadow: ${style.boxShadow}`,
    size: [box.width, box.height],
    onScreen: box.right > 0 && box.bottom > 0 && box.left < innerWidth && box.top < innerHeight,
  };
}"""


@browser_test
@pytest.mark.parametrize("which", ["home", "event"])
def test_keyboard_reaches_every_control_in_order_with_visible_focus(site, server, browser, which):
    page = home_page(site) if which == "home" else event_page(site)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.route(is_offsite, lambda route: route.abort())
    problems = []
    try:
        tab = open_page(context, server, page)
        tab.evaluate(DESCRIBE)
        expected = tab.evaluate(TABBABLE)
        assert expected, f"{page.path}: no focusable elements found"
        for i, name in enumerate(expected):
            tab.keyboard.press("Tab")
            got = tab.evaluate(FOCUSED)
            if got["index"] != i:
                problems.append(f"Tab #{i + 1} should focus {name} but focused {got['name']}")
                break  # the order is broken; later steps would only repeat it
            if not got["focusVisible"] or not got["indicator"]:
                problems.append(f"Tab #{i + 1} {name}: no visible focus indicator ({got['style']})")
            elif min(got["size"]) < 2 or not got["onScreen"]:
                problems.append(f"Tab #{i + 1} {name}: focused but hidden or off-screen (box {got['size']})")
    finally:
        context.close()
    assert not problems, report(f"{page.path}: keyboard navigation problems", problems)


# --- f. layout ---------------------------------------------------------------------

OVERFLOW = """() => {
  const root = document.documentElement;
  const limit = root.clientWidth;
  const culprits = [];
  if (root.scrollWidth > limit) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.right > limit + 1 && !el.parentElement.closest('[data-overflow-culprit]')) {
        el.setAttribute('data-overflow-culprit', '');
        culprits.push(`<${el.localName}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}> right edge ${Math.round(box.right)}px`);
      }
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: limit, innerWidth: window.innerWidth, culprits: culprits.slice(0, 5)};
}"""


@browser_test
@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(site, server, browser, screenshot_dir: Path, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.route(is_offsite, lambda route: route.abort())
    shots = {home_page(site).path: "home", event_page(site).path: "event"}
    problems = []
    try:
        for page in site.pages:
            tab = open_page(context, server, page)
            viewport = tab.evaluate("document.querySelector('meta[name=viewport]')?.content || ''")
            if page.redirect_to is None and "width=device-width" not in viewport:
                problems.append((page.path, "no <meta name=viewport content=\"width=device-width, ...\">, "
                                 "so phones lay it out 980px wide"))
            if page.path in shots:
                tab.screenshot(path=str(screenshot_dir / f"{shots[page.path]}-{width}.png"), full_page=True)
            result = tab.evaluate(OVERFLOW)
            if result["scrollWidth"] > min(result["clientWidth"], result["innerWidth"]):
                problems.append((page.path, f"scrolls sideways (content {result['scrollWidth']}px wide "
                                 f"> viewport {result['clientWidth']}px); widest: {'; '.join(result['culprits'])}"))
            tab.close()
    finally:
        context.close()
    assert not problems, report(f"layout problems at {width}px", by_page(problems))
