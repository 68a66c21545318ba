"""Machine-readable outputs: sitemap, robots.txt, feeds, data files and the browser's indexes."""

from __future__ import annotations

from xml.sax.saxutils import escape

import jinja2

from . import data, feeds, ical, search
from .model import Event, Site


def render_exports(site: Site, env: jinja2.Environment, pages: dict[str, bytes]) -> dict[str, bytes]:
    """Render every non-page output from the site model."""
    abs_url = env.globals["abs_url"]
    home = abs_url("")
    text = data.Text(
        html=lambda markdown: str(env.filters["markdown"](markdown)),
        plain=env.filters["plain"],
        when=env.filters["when"],
        url=lambda event: abs_url(f"events/{event.id}/"),
    )
    entry = env.get_template("partials/feed_entry.html")
    newest = feeds.feed_events(site)
    links = feeds.Links(home=home, atom=abs_url("feed.xml"), json=abs_url("feed.json"), event=text.url)

    def html_of(event: Event) -> str:
        return entry.render(event=event).strip()

    def text_of(event: Event) -> str:
        return text.plain(event.summary)

    return {
        "sitemap.xml": render_sitemap(site, pages),
        "robots.txt": render_robots(site),
        "feed.xml": feeds.render_atom(site, newest, links, html_of, text_of),
        "feed.json": feeds.render_json_feed(site, newest, links, html_of, text_of),
        "data/events.json": data.render_events_json(site, text, home),
        "data/events.schema.json": data.EXPORT_SCHEMA.read_bytes(),
        "data/events.csv": data.render_csv(site, text),
        "data/events.ics": ical.render_ics(site, text, home),
        "data/timelinejs.json": data.render_timelinejs(site, text, home),
        "data/index.json": search.render_filter_index(site, text),
        "data/search.json": search.render_search_index(site, text),
    }


def render_sitemap(site: Site, pages: dict[str, bytes]) -> bytes:
    """List every indexable HTML page (not redirects, not the 404 page)."""
    base = site.config.base_url.rstrip("/") + "/"
    redirects = {f"events/{alias}/index.html" for e in site.events for alias in e.aliases}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path in sorted(pages):
        if not path.endswith("index.html") or path in redirects:
            continue
        lines.append(f"  <url><loc>{escape(base + path[: -len('index.html')])}</loc></url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def render_robots(site: Site) -> bytes:
    """Allow everything and point crawlers at the sitemap."""
    base = site.config.base_url.rstrip("/") + "/"
    return f"User-agent: *\nAllow: /\n\nSitemap: {base}sitemap.xml\n".encode("utf-8")
