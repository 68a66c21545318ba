"""Machine-readable outputs: sitemap, robots.txt, feeds and data files."""

from __future__ import annotations

from xml.sax.saxutils import escape

import jinja2

from .model import Site


def render_exports(site: Site, env: jinja2.Environment, pages: dict[str, bytes]) -> dict[str, bytes]:
    """Render every non-page output from the site model."""
    return {
        "sitemap.xml": render_sitemap(site, pages),
        "robots.txt": render_robots(site),
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
