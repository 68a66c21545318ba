"""A reader on the example site: filter, share the filtered view, search, cite — in headless Chromium."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

RAIL_EVENT = "2022-01-14-rail-launch"
QUOTE_PHRASE = "hadn't been previously planned"  # typed with a straight apostrophe; the source has ’


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.route(lambda url: not url.startswith("http://127.0.0.1"), lambda route: route.abort())
    yield context
    context.close()


@pytest.fixture(scope="module")
def exported(site) -> dict:
    return json.loads((site.root / "data" / "events.json").read_text(encoding="utf-8"))


def open_home(context, server, site, query: str = ""):
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.goto(server.url(site.mount + query), wait_until="load")
    tab.wait_for_selector("#finder:not([hidden])")
    tab.errors = errors
    return tab


def status(tab) -> str:
    return tab.locator("#finder-status").inner_text().strip()


def wait_for_status(tab, pattern: str) -> str:
    tab.wait_for_function("(re) => new RegExp(re).test(document.getElementById('finder-status').textContent)",
                          arg=pattern, timeout=10_000)
    return status(tab)


def result_ids(tab) -> list[str]:
    hrefs = tab.locator("#finder-results .event-title a").evaluate_all("links => links.map(a => a.pathname)")
    return [h.rstrip("/").rsplit("/", 1)[-1] for h in hrefs]


def test_clicking_a_tag_filters_every_event_and_shows_the_count(context, server, site, exported):
    expected = [e["id"] for e in exported["events"] if "rail-launch" in e["tags"]]
    total = len(exported["events"])
    assert 0 < len(expected) < total
    tab = open_home(context, server, site)
    assert tab.locator("#finder-results").is_hidden()
    tab.get_by_role("checkbox", name="Rail launch").click()
    text = wait_for_status(tab, "match")
    assert text.startswith(f"{len(expected)} of {total} events match"), text
    assert result_ids(tab) == expected
    assert parse_qs(urlsplit(tab.url).query) == {"tag": ["rail-launch"]}
    assert tab.locator("#recent").is_hidden()
    # A second filter narrows the view; the count follows.
    tab.get_by_label("Missile type").select_option("SRBM")
    wanted = [e["id"] for e in exported["events"]
              if "rail-launch" in e["tags"] and e["details"].get("missile_type") == "SRBM"]
    wait_for_status(tab, f"^{len(wanted)} of {total} ")
    assert result_ids(tab) == wanted
    assert not tab.errors


def test_a_shared_filtered_url_reopens_the_same_view(context, server, site, exported):
    tab = open_home(context, server, site)
    tab.get_by_label("Launch platform").select_option("rail car")
    tab.get_by_label("From", exact=True).select_option("2021")
    wait_for_status(tab, "match")
    shared = tab.url
    first = (status(tab), result_ids(tab))
    expected = [e["id"] for e in exported["events"]
                if e["details"].get("launch_platform") == "rail car" and e["date"][:4] >= "2021"]
    assert first[1] == expected and RAIL_EVENT in expected

    other = context.browser.new_context(viewport={"width": 375, "height": 800})
    try:
        again = other.new_page()
        again.goto(shared, wait_until="load")
        wait_for_status(again, "match")
        assert (status(again), result_ids(again)) == first
        assert again.get_by_label("Launch platform").input_value() == "rail car"
        assert again.get_by_label("From", exact=True).input_value() == "2021"
        assert again.locator("#finder-filters").get_attribute("open") is not None, "filters in the URL are shown"
        again.reload(wait_until="load")
        wait_for_status(again, "match")
        assert (status(again), result_ids(again)) == first
    finally:
        other.close()


def test_typing_a_phrase_from_a_quote_finds_its_event(context, server, site):
    tab = open_home(context, server, site)
    tab.get_by_label("Search titles, summaries, quotes and sources").fill(QUOTE_PHRASE)
    wait_for_status(tab, "match")
    assert RAIL_EVENT in result_ids(tab)
    snippet = tab.locator(f"#finder-results li:has(a[href$='/{RAIL_EVENT}/']) .snippet")
    assert "previously planned" in snippet.inner_text()
    assert snippet.locator("mark").count() >= 1
    assert parse_qs(urlsplit(tab.url).query)["q"] == [QUOTE_PHRASE]
    tab.locator(f"#finder-results a[href$='/{RAIL_EVENT}/']").click()
    tab.wait_for_url(re.compile(f"/events/{RAIL_EVENT}/$"))
    assert not tab.errors


def test_search_matches_speakers_and_source_titles(context, server, site):
    tab = open_home(context, server, site, "?q=Cheong+Seong-Chang")
    wait_for_status(tab, "match")
    assert result_ids(tab) == [RAIL_EVENT]
    tab.goto(server.url(site.mount + "?q=zzzz-no-such-word"), wait_until="load")
    wait_for_status(tab, "No events match")


def test_filters_work_from_the_keyboard(context, server, site):
    tab = open_home(context, server, site)
    tab.get_by_label("Search titles, summaries, quotes and sources").focus()
    for _ in range(60):
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.value") == "rail-launch":
            break
    else:
        pytest.fail("Tab never reached the Rail launch checkbox")
    tab.keyboard.press("Space")
    wait_for_status(tab, "match")
    assert "tag=rail-launch" in tab.url
    clear = tab.get_by_role("button", name="Clear search and filters")
    clear.focus()
    tab.keyboard.press("Enter")
    tab.wait_for_function("document.getElementById('finder-results').hidden")
    assert urlsplit(tab.url).query == ""


def test_without_javascript_the_timeline_and_fallback_links_remain(browser, server, site):
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(server.url(site.mount), wait_until="load")
        assert tab.locator("#finder").is_hidden()
        assert tab.locator("#recent .event").count() > 0
        fallback = tab.locator(".finder-fallback")
        assert fallback.is_visible()
        assert fallback.locator("a[href$='/tags/']").count() == 1
        tab.goto(server.url(site.mount + "tags/rail-launch/"), wait_until="load")
        assert tab.locator(f"[id='{RAIL_EVENT}']").count() == 1
    finally:
        context.close()


def test_overview_bars_link_to_their_period(context, server, site):
    tab = open_home(context, server, site)
    bars = tab.locator("svg.chart a")
    assert bars.count() >= 1
    label = bars.last.get_attribute("aria-label")
    year = label.split(":")[0].split()[-1]
    bars.last.click()
    tab.wait_for_url(re.compile(f"/years/{year}/"))


def test_cite_block_copies_the_citation(browser, server, site):
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.origin)
    try:
        tab = context.new_page()
        tab.goto(server.url(site.mount + f"events/{RAIL_EVENT}/"), wait_until="load")
        citation = tab.locator("#cite-plain")
        text = citation.inner_text()
        assert "https://" in text and "[date accessed]" not in text, "the accessed date is filled in"
        tab.get_by_role("button", name="Copy the citation").click()
        tab.wait_for_function("document.querySelector('.copy-status').textContent.length > 0")
        assert tab.evaluate("navigator.clipboard.readText()") == citation.text_content()
        bibtex = tab.locator("#cite-bibtex").inner_text()
        assert bibtex.startswith(f"@misc{{{RAIL_EVENT},") and re.search(r"urldate\s*=\s*\{\d{4}-\d\d-\d\d\}", bibtex)
    finally:
        context.close()
