"""Planning pages: year pages and their pagination, the overview chart, and page sizes at scale."""

from __future__ import annotations

import html as html_lib
import json
import random
import re
from collections import Counter

import pytest

from conftest import REPO
from dateline.dates import FuzzyDate, parse_date
from dateline.model import Event, FieldDef, Quote, Site, SiteConfig, Source, Tag
from dateline.overview import plan_overview
from dateline.pages import RELATED_LIMIT, plan_pages
from dateline.pipeline import check_site, render_site
from dateline.render import make_environment, render_pages, template_dirs

MAX_PAGE_BYTES = 1_000_000


def make_site_model(events: list[Event], *, sources: dict[str, Source] | None = None,
                    tags: dict[str, Tag] | None = None, options: dict | None = None) -> Site:
    config = SiteConfig(title="Test timeline", base_url="https://example.org/t/", timezone="Asia/Seoul",
                        fields=(FieldDef("missile_type", "string", "Missile type", values=("SRBM", "ICBM"),
                                         filter=True),
                                FieldDef("count", "integer", "Missiles fired")),
                        options=options or {})
    events = sorted(events, key=lambda e: e.sort_key)
    return Site(config=config, tags=tags or {"a": Tag("a", "Tag A", group="kind")}, sources=sources or {},
                events=tuple(events), by_id={e.id: e for e in events})


def event(event_id: str, date: str, **extra) -> Event:
    return Event(id=event_id, date=parse_date(date), title=f"Event {event_id}", summary="Something happened.",
                 file=f"content/events/{event_id}.yaml", **extra)


def by_url(pages):
    return {p.url: p for p in pages}


# --- planning -------------------------------------------------------------------------


def test_year_pages_split_long_years_and_events_link_back_to_their_page():
    events = [event(f"2020-e{i:03d}", f"2020-{1 + i // 30:02d}-{1 + i % 28:02d}") for i in range(300)]
    events.append(event("2021-only", "2021-05"))
    site = make_site_model(events, options={"year_page_size": 100})
    pages = by_url(plan_pages(site))
    assert {"years/2020/", "years/2020/page/2/", "years/2020/page/3/", "years/2021/"} <= pages.keys()
    assert "years/2020/page/4/" not in pages
    third = pages["years/2020/page/3/"].context
    assert third["pager"].number == 3 and third["pager"].prev_url == "years/2020/page/2/" and not third["pager"].next_url
    assert sum(len(g.events) for g in third["groups"]) == 100
    late = site.events[250]
    assert pages[f"events/{late.id}/"].context["timeline_url"] == f"years/2020/page/3/#{late.id}"
    assert pages["events/2021-only/"].context["timeline_url"] == "years/2021/#2021-only"


def test_home_lists_the_most_recent_events_and_every_year():
    events = [event(f"e{y}-{i}", f"{y}-03-{i + 1:02d}") for y in range(1990, 2020) for i in range(5)]
    site = make_site_model(events, options={"home_events": 20})
    home = by_url(plan_pages(site))[""].context
    shown = [e.id for g in home["groups"] for e in g.events]
    assert shown == [e.id for e in site.events[-20:]] and not home["is_complete"]
    assert [y for y, _ in home["years"]] == list(range(1990, 2020))
    assert home["overview"].unit == "year" and len(home["overview"].bars) == 30


def test_data_page_and_filter_facets_are_planned():
    tags = {"rail": Tag("rail", "Rail", group="platform"), "sea": Tag("sea", "Sea", group="platform"),
            "misc": Tag("misc", "Misc")}
    site = make_site_model([event("x", "2022-01-01", tags=("rail",), details=(("missile_type", "SRBM"),))], tags=tags)
    pages = by_url(plan_pages(site))
    assert "data/" in pages
    home = pages[""].context
    assert [f.id for f in home["tag_facets"]] == ["platform", ""], "grouped tags first, ungrouped last"
    assert [f.id for f in home["field_facets"]] == ["missile_type"]
    assert home["field_facets"][0].options == (("SRBM", "SRBM"), ("ICBM", "ICBM"))


def test_related_events_are_capped_even_with_many_backlinks():
    hub = event("hub", "2000")
    others = [event(f"spoke-{i:03d}", "2001-01-01", related=("hub",)) for i in range(100)]
    pages = by_url(plan_pages(make_site_model([hub, *others])))
    assert len(pages["events/hub/"].context["related"]) == RELATED_LIMIT


# --- the overview chart ------------------------------------------------------------------


def test_overview_counts_per_month_for_short_spans_and_links_month_anchors():
    events = [event("a", "2021-11-02"), event("b", "2021-11-20"), event("c", "2022-01-14T14:41+09:00"),
              event("d", "2022"), event("e", "2022-03")]
    site = make_site_model(events)
    overview = by_url(plan_pages(site))[""].context["overview"]
    assert overview.unit == "month"
    assert [(b.label, b.count) for b in overview.bars] == [
        ("Nov 2021", 2), ("Dec 2021", 0), ("Jan 2022", 1), ("Feb 2022", 0), ("Mar 2022", 1)]
    assert overview.undated_in_month == 1
    assert [b.href for b in overview.bars] == ["years/2021/#y2021-11", None, "years/2022/#y2022-01", None,
                                               "years/2022/#y2022-03"]
    tallest = max(overview.bars, key=lambda b: b.height)
    assert tallest.label == "Nov 2021" and tallest.top == overview.top
    assert all(0 <= b.x and b.x + b.width <= 100 for b in overview.bars)


def test_overview_counts_per_year_over_long_spans_with_readable_ticks():
    events = [event(f"e{y}", f"{y}-06") for y in range(1900, 2021, 3)]
    overview = plan_overview(events, {(y, None): f"years/{y}/" for y in range(1900, 2021)})
    assert overview.unit == "year" and len(overview.bars) == 2020 - 1900 + 1
    assert sum(b.count for b in overview.bars) == len(events)
    assert len(overview.ticks) <= 8 and all(int(t.text) % 20 == 0 for t in overview.ticks)
    assert all(b.href is None for b in overview.bars if b.count == 0)


def test_overview_is_drawn_as_accessible_svg_with_a_text_alternative():
    events = [event("a", "2021-11-02"), event("b", "2022-01-14")]
    site = make_site_model(events)
    env = make_environment(template_dirs(REPO), site)
    html = render_pages([p for p in plan_pages(site) if p.url == ""], env)["index.html"].decode()
    start = html.index('<svg class="chart"')
    svg = html[start: html.index("</svg>", start)]
    assert 'aria-labelledby="overview-title"' in svg and "<desc" in svg
    assert '<a href="/t/years/2021/#y2021-11" aria-label="Nov 2021: 1 event">' in svg
    assert "<table>" in html[start:], "a table of the same numbers follows the chart"


# --- scale -------------------------------------------------------------------------------


def big_site(n: int = 10_000) -> Site:
    """A corpus built to stress every list: one busy year, one tag and one source on everything, a hub event."""
    rng = random.Random(7)
    words = "missile launch rail car sea statement sanctions analysts regiment trajectory apogee range".split()
    sources = {f"s{i:04d}": Source(f"s{i:04d}", f"Source number {i} with a longish title", "f.yaml",
                                   publisher="Wire", published=FuzzyDate(2000 + i % 24, 1, 1))
               for i in range(3000)}
    tags = {f"t{i:02d}": Tag(f"t{i:02d}", f"Tag {i}", group=f"g{i % 5}") for i in range(40)}
    events = []
    for i in range(n):
        year = 2022 if i < n // 2 else 1995 + i % 30
        summary = " ".join(rng.choice(words) for _ in range(120))
        quote = Quote(" ".join(rng.choice(words) for _ in range(25)), "s0000", speaker="An analyst", verified=True)
        events.append(Event(
            id=f"ev-{i:05d}", date=FuzzyDate(year, 1 + i % 12, 1 + i % 28), title=f"Event {i}: {summary[:60]}",
            summary=summary + "\n\n" + summary, file="x.yaml", tags=("t00", f"t{1 + i % 39:02d}"),
            details=(("missile_type", "SRBM"), ("count", i % 5)), quotes=(quote,),
            sources=("s0000", f"s{i % 3000:04d}"), related=("ev-00000",) if i else ()))
    return make_site_model(events, sources=sources, tags=tags)


@pytest.fixture(scope="module")
def big() -> tuple[Site, list]:
    site = big_site()
    return site, plan_pages(site)


def test_no_page_exceeds_1_mb_at_10000_events(big):
    site, pages = big
    # Event pages are alike; render the hub (linked from every event) and a sample, and every list page.
    lists = [p for p in pages if not p.url.startswith("events/")]
    sample = [p for p in pages if p.url.startswith("events/")][::500]
    hub = [p for p in pages if p.url == "events/ev-00000/"]
    rendered = render_pages(lists + sample + hub, make_environment(template_dirs(REPO), site))
    sizes = {path: len(data) for path, data in rendered.items()}
    too_big = {path: size for path, size in sizes.items() if size > MAX_PAGE_BYTES}
    assert not too_big, too_big
    assert len(rendered) > 200
    home = rendered["index.html"].decode()
    assert "<svg" in home and home.count('class="event"') + home.count('class="event ') == 100
    for year in {e.date.year for e in site.events}:
        assert f'href="/t/years/{year}/"' in home
    busy = Counter(p.url.split("page/")[0] for p in pages if "/page/" in p.url)
    assert busy["years/2022/"] >= 20, "the busy year is split into pages"
    assert busy["sources/s0000/"] >= 40 and busy["sources/"] >= 5, "a source cited by everything is paged"


# --- what a page tells crawlers, link previews and citers --------------------------------


@pytest.fixture(scope="module")
def example_pages() -> dict[str, str]:
    site, report = check_site(REPO)
    files = render_site(site, REPO, report)
    assert files is not None, report.sorted()
    return {path: data.decode("utf-8") for path, data in files.items() if path.endswith(".html")}


def json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD"
    return json.loads(match.group(1))


def test_event_page_has_canonical_url_open_graph_json_ld_and_a_citation(example_pages):
    page = example_pages["events/2022-01-14-rail-launch/index.html"]
    permalink = "https://example.org/nk-missiles/events/2022-01-14-rail-launch/"
    assert f'<link rel="canonical" href="{permalink}">' in page
    assert f'<meta property="og:url" content="{permalink}">' in page
    assert '<meta property="og:type" content="article">' in page and 'name="twitter:card"' in page
    data = json_ld(page)
    assert data["@type"] == "Article" and data["url"] == permalink
    assert data["about"]["startDate"] == "2022-01-14T14:41+09:00"
    assert data["about"]["location"]["geo"]["latitude"] == 40.199
    cite = html_lib.unescape(page[page.index('id="cite-h"'):])
    assert "@misc{2022-01-14-rail-launch," in cite and f"url          = {{{permalink}}}" in cite
    assert "(accessed [date accessed])" in re.sub(r"<[^>]+>", "", cite), "a placeholder readers fill in without JS"
    assert '<time datetime="2022-01-14T14:41+09:00">' in page


def test_json_ld_cannot_close_its_script_element(example_pages):
    for path, page in example_pages.items():
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S):
            assert "<" not in block and ">" not in block, path


def test_home_page_offers_site_search_to_crawlers(example_pages):
    data = json_ld(example_pages["index.html"])
    assert data["@type"] == "WebSite"
    assert data["potentialAction"]["target"]["urlTemplate"] == "https://example.org/nk-missiles/?q={search_term_string}"


@pytest.mark.parametrize("partial, generic", [
    ("<li><h{{ title_level | default(4) }}>{{ event.title }}</h{{ title_level | default(4) }}></li>\n", True),
    ("<li>{% if title_level == 3 %}<strong>{{ event.title }}</strong>{% else %}{{ event.title }}{% endif %}</li>\n",
     False),
    ("<li class=\"l{{ title_level + 1 }}\">{{ event.title }}</li>\n", False),
])
def test_list_items_are_rendered_once_per_event_and_right_at_every_level(tmp_path, partial, generic):
    own = tmp_path / "templates" / "partials"
    own.mkdir(parents=True)
    (own / "event_item.html").write_text(partial, encoding="utf-8")
    site = make_site_model([event("a", "2021-11-02"), event("b", "2022-01-14")])
    env = make_environment(template_dirs(tmp_path), site)
    items = env.globals["event_item"]
    plain = env.get_template("partials/event_item.html")
    for level in (3, 4, 2, 3):
        for e in site.events:
            assert items(e, level) == plain.render(event=e, title_level=level)
    assert items._generic is generic, "a partial that only prints title_level is rendered once for all levels"
