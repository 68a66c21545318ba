"""Markdown to safe HTML: raw HTML is escaped, links and attributes are allow-listed."""

from __future__ import annotations

import html as html_lib
from collections.abc import MutableMapping

import markdown
import nh3

_TAGS = {
    "p", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "br", "hr",
    "h3", "h4", "h5", "h6", "sup", "sub", "del",
}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}


class MarkdownRenderer:
    """Render analysts' Markdown with one reusable parser and a cache keyed by text."""

    def __init__(self, cache: MutableMapping[str, str] | None = None) -> None:
        self._md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
        # Raw HTML in summaries is shown as text, never passed through.
        self._md.preprocessors.deregister("html_block")
        self._md.inlinePatterns.deregister("html")
        # text -> HTML; a build passes the on-disk cache's memo (dateline.cache).
        self._cache: MutableMapping[str, str] = {} if cache is None else cache
        self._plain: dict[tuple[str, int], str] = {}

    def render(self, text: str) -> str:
        """Return sanitised HTML for a Markdown text."""
        html = self._cache.get(text)
        if html is None:
            raw = self._md.reset().convert(text)
            html = nh3.clean(raw, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES,
                             link_rel="noopener noreferrer")
            self._cache[text] = html
        return html

    def plain(self, text: str, limit: int = 0) -> str:
        """Return a Markdown text as plain text, cut at a word boundary when longer than `limit`."""
        plain = self._plain.get((text, limit))
        if plain is None:  # pages, feeds, data files and the search index each ask for every summary
            plain = " ".join(html_lib.unescape(nh3.clean(self.render(text), tags=set())).split())
            if limit and len(plain) > limit:
                plain = plain[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
            self._plain[(text, limit)] = plain
        return plain
