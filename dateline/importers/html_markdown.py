"""Turn the small HTML of timeline tools (paragraphs, emphasis, links, lists) into Markdown."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "table", "tr"}
_INLINE = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`", "del": "~~", "s": "~~"}
_SCHEMES = ("http://", "https://", "mailto:")
# Characters Markdown would read as markup; escaped so text stays text.
_SPECIAL = re.compile(r"([\\`*_\[\]])")
_BREAK = "\x00"  # a hard line break, kept apart from whitespace until the block is finished
_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+[.)])(?=\s)", re.M)


def html_to_markdown(html: str) -> str:
    """Return Markdown that renders as the given HTML does, as far as Markdown can say it."""
    parser = _Converter()
    parser.feed(html or "")
    parser.close()
    return parser.result()


def html_to_text(html: str) -> str:
    """Return the text of an HTML fragment on one line (for headlines)."""
    parser = _Converter()
    parser.feed(html or "")
    parser.close()
    return " ".join("".join(parser.plain).split())


def _escape_line_start(match: re.Match[str]) -> str:
    # "1986." would start a list and "#" a heading: escape the character that makes them markup.
    marker = match.group(2)
    return match.group(1) + (marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker)


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []  # finished paragraphs, list items, quotes
        self.line: list[str] = []  # the block being written
        self.plain: list[str] = []
        self.lists: list[list[int | None]] = []  # stack of [counter or None for bullets]
        self.items: list[str] = []  # lines of the outermost list being written
        self.quote = 0
        self.last_quote = 0
        self.links: list[str | None] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("ul", "ol"):
            self._end_block()
            self.lists.append([1 if tag == "ol" else None])
        elif tag == "li":
            self._end_block()
        elif tag == "blockquote":
            self._end_block()
            self.quote += 1
        elif tag in _BLOCKS:
            self._end_block()
        elif tag == "br":
            self.line.append(_BREAK)
            self.plain.append(" ")
        elif tag in _INLINE:
            self.line.append(_INLINE[tag])
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            keep = href.startswith(_SCHEMES)
            self.links.append(href if keep else None)
            if keep:
                self.line.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("ul", "ol"):
            self._end_block()
            if self.lists:
                self.lists.pop()
            if not self.lists and self.items:
                self._add_block("\n".join(self.items))
                self.items = []
        elif tag == "blockquote":
            self._end_block()
            self.quote = max(0, self.quote - 1)
        elif tag in _BLOCKS:
            self._end_block()
        elif tag in _INLINE:
            self.line.append(_INLINE[tag])
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href is not None:
                self.line.append(f"]({href.replace(')', '%29').replace(' ', '%20')})")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.plain.append(data)
        text = re.sub(r"\s+", " ", data)
        if not "".join(self.line).strip():
            text = text.lstrip()
        self.line.append(_SPECIAL.sub(r"\\\1", text))

    def _end_block(self) -> None:
        text = "".join(self.line).strip(" ")
        self.line = []
        text = re.sub(rf" *{_BREAK} *", _BREAK, text).strip(" " + _BREAK).replace(_BREAK, "  \n")
        if not text:
            return
        text = _LINE_START.sub(_escape_line_start, text)
        if self.lists:
            marker = self.lists[-1]
            bullet = f"{marker[0]}." if marker[0] is not None else "-"
            if marker[0] is not None:
                marker[0] += 1
            pad = "   " * (len(self.lists) - 1)
            self.items.append(pad + bullet + " " + text.replace("\n", "\n" + pad + " " * (len(bullet) + 1)))
            return
        self._add_block(text)

    def _add_block(self, text: str) -> None:
        if self.quote:
            prefix = "> " * self.quote
            text = "\n".join(prefix + line for line in text.split("\n"))
            if self.blocks and self.blocks[-1].startswith(prefix) and self.last_quote == self.quote:
                # Paragraphs of one quotation stay in one blockquote.
                self.blocks[-1] += "\n" + prefix.rstrip() + "\n" + text
                return
        self.last_quote = self.quote
        self.blocks.append(text)

    def result(self) -> str:
        self._end_block()
        if self.items:
            self._add_block("\n".join(self.items))
            self.items = []
        return "\n\n".join(self.blocks)
