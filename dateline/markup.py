"""Markdown to safe HTML: raw HTML is escaped, links and attributes are allow-listed."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import MutableMapping

import markdown
import nh3

_TAGS = {
    "p", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "br", "hr",
    "h3", "h4", "h5", "h6", "sup", "sub", "del",
}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}
# A tag of render()'s output, which nh3 wrote: attribute values are always in double quotes, and
# '<' and '>' in text are always escaped, so this finds every tag and nothing else.
_TAG = re.compile(r'<(?:[^>"]|"[^"]*")*>')
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# A line that could begin (or turn a paragraph into) something other than prose: a heading or its
# underline, a list item, a quote, a code block, a rule, a table, raw HTML. A '*' or '+' starts a
# list item only before a space and a rule only in a line of stars, so "*Emphasis* at the start of
# a line" (a third of summaries) stays prose.
_BLOCK_START = re.compile(r"[ ]{0,3}(?:[#>=|<`~-]|[*+](?:[ \t]|$)|\*[* \t]*$|_{3}|\d+[.)]|\t)|[ ]{4}")


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

    def lead(self, text: str) -> str:
        """Return the HTML of a Markdown text's first paragraph (what render() gives the paragraph alone).

        Lists of events show only the lead. When the first paragraph is plain prose and nothing in
        the text could change how it renders alone (a reference-link definition elsewhere), its HTML
        is the first block of the whole text's, which the event's own page renders anyway.
        """
        stripped = text.strip()
        first = _PARAGRAPH_BREAK.split(stripped, 1)[0]
        if text.strip("\n") != stripped:
            # Spaces at the start or end change what the text is (" # a" is prose where "# a" is a
            # heading; "a " keeps its space), and the paragraph alone has lost them: render it alone.
            return self.render(first)
        if first == stripped:
            return self.render(text)
        if "]:" not in text and not any(_BLOCK_START.match(line) for line in first.split("\n")):
            html = self.render(text)
            end = html.find("</p>")
            if html.startswith("<p>") and end > 0 and html[end + 4:end + 5] in ("\n", ""):
                return html[:end + 4]
        return self.render(first)

    def plain(self, text: str, limit: int = 0) -> str:
        """Return a Markdown text as plain text, cut at a word boundary when longer than `limit`."""
        plain = self._plain.get((text, limit))
        if plain is None:  # pages, feeds, data files and the search index each ask for every summary
            plain = " ".join(html_lib.unescape(_TAG.sub("", self.render(text))).split())
            if limit and len(plain) > limit:
                plain = plain[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
            self._plain[(text, limit)] = plain
        return plain
