"""Documents: YAML text parsed into plain data, with the position of every key and value.

Content is plain data, so everything YAML offers beyond it is refused with a located diagnostic:
anchors and aliases (a small file could expand into a huge one), tags (!!python/object...), duplicate
keys (YAML would keep only the last), and keys that are not text. PyYAML's own errors are explained
in words an analyst can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import Diagnostic, ERROR

try:  # libyaml is ~10x faster; the PyPI wheels include it.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - only on builds without libyaml
    _Loader = yaml.SafeLoader

Pos = tuple[int, int]
Path_ = tuple[Any, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


@dataclass
class Document:
    """A parsed YAML file: plain data plus the 1-based position of each value and key."""

    file: str
    data: Any
    marks: dict[Path_, Pos] = field(default_factory=dict)
    key_marks: dict[Path_, Pos] = field(default_factory=dict)
    written: dict[Path_, str] = field(default_factory=dict)
    """The text as written of values YAML read as numbers or booleans (`0000`, `1.10`, `yes`)."""

    def pos(self, path: Path_ = ()) -> Pos:
        """Return the position of the value at `path`, or of its nearest ancestor."""
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def key_pos(self, path: Path_) -> Pos:
        """Return the position of the key that holds the value at `path`."""
        return self.key_marks.get(path) or self.pos(path)


class _Refused(Exception):
    def __init__(self, pos: Pos, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.pos, self.code, self.message, self.hint = pos, code, message, hint


def parse_yaml(text: str, shown: str) -> tuple[Document | None, Diagnostic | None]:
    """Parse YAML text into a Document; refuse anchors, aliases, custom tags and duplicate keys."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        line, col, message, hint = _explain_yaml_error(exc, text)
        code = "yaml-alias" if "alias" in message else "yaml-syntax"
        return None, Diagnostic(shown, line, col, ERROR, code, message, hint)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return None, Diagnostic(shown, line, col, ERROR, "yaml-syntax",
                                f"the control character U+{ord(char):04X} is not allowed in content",
                                "delete it: it is invisible in most editors and often comes from copy and paste")
    except yaml.YAMLError as exc:
        return None, Diagnostic(shown, 1, 1, ERROR, "yaml-syntax", str(exc).splitlines()[0])
    except RecursionError:
        return None, Diagnostic(shown, 1, 1, ERROR, "yaml-syntax", "YAML nesting is too deep")
    doc = Document(shown, None)
    if node is None:
        return doc, None
    try:
        doc.data = _construct(node, (), doc, set() if "&" in text or "!" in text else None, text)
    except _Refused as exc:
        return None, Diagnostic(shown, exc.pos[0], exc.pos[1], ERROR, exc.code, exc.message, exc.hint)
    except RecursionError:
        return None, Diagnostic(shown, 1, 1, ERROR, "yaml-syntax", "YAML nesting is too deep")
    return doc, None


def _pos(node: yaml.Node) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1


_MAP, _SEQ, _STR, _TIMESTAMP, _NULL, _MERGE = (_TAG + t for t in ("map", "seq", "str", "timestamp", "null", "merge"))
_MappingNode, _SequenceNode, _ScalarNode = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode


def _construct(node: yaml.Node, path: Path_, doc: Document, seen: set[int] | None, text: str) -> Any:
    # Aliases would let a small file expand into a huge one, and content has no use for them. A node's
    # mark is where its properties start, so only a node written with an anchor or a tag starts with
    # '&' or '!'; an alias resolves to a node whose anchor comes earlier, so it is found there first.
    # `seen` is None when the text holds neither '&' nor '!': then no node has an anchor or a tag,
    # and without an anchor there is no alias.
    mark = node.start_mark
    if seen is not None:
        if text[mark.index:mark.index + 1] in ("&", "!"):
            _refuse_anchors(text)
        if id(node) in seen:
            # The composer shares one node object between an anchor and its aliases.
            raise _Refused(_pos(node), "yaml-alias", "YAML anchors and aliases are not allowed in content",
                           "write each value out in full")
        seen.add(id(node))
    doc.marks[path] = (mark.line + 1, mark.column + 1)
    tag = node.tag
    kind = type(node)
    if kind is _ScalarNode:
        if tag == _STR or tag == _TIMESTAMP:
            # Dates stay as written; dateline.dates parses them with precision intact.
            return node.value
        if tag not in _SCALAR_TAGS:
            raise _tag_refused(node)
        doc.written[path] = node.value
        if tag == _NULL:
            return None
        return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
    if kind is _MappingNode:
        if tag != _MAP:
            raise _tag_refused(node)
        result: dict[str, Any] = {}
        key_marks = doc.key_marks
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise _Refused(_pos(key_node), "yaml-alias", "YAML merge keys ('<<') are not allowed in content",
                               "write the keys out in full")
            if type(key_node) is not _ScalarNode or key_node.tag not in _SCALAR_TAGS:
                raise _Refused(_pos(key_node), "yaml-syntax", "mapping keys must be plain text",
                               "write 'key: value'; a key cannot be a list or a mapping")
            key_mark = key_node.start_mark
            if seen is not None and text[key_mark.index:key_mark.index + 1] in ("&", "!"):
                _refuse_anchors(text)
            key = str(key_node.value)
            key_path = path + (key,)
            if key in result:
                first = key_marks.get(key_path, (0, 0))[0]
                raise _Refused(_pos(key_node), "duplicate-key",
                               f"key '{key}' appears twice in this mapping (first on line {first})",
                               "remove one of them; YAML would silently keep only the last")
            key_marks[key_path] = (key_mark.line + 1, key_mark.column + 1)
            result[key] = _construct(value_node, key_path, doc, seen, text)
        return result
    if kind is _SequenceNode:
        if tag != _SEQ:
            raise _tag_refused(node)
        return [_construct(item, path + (i,), doc, seen, text) for i, item in enumerate(node.value)]
    raise _tag_refused(node)  # pragma: no cover - the composer makes only these three kinds


def _tag_refused(node: yaml.Node) -> _Refused:
    tag = node.tag
    shown = "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag
    hint = "content is plain data: remove the tag"
    if isinstance(node, yaml.ScalarNode):
        hint += f", or put the whole value in quotes if it is text: \"{shown} {_clip(node.value, 30)}\""
    return _Refused(_pos(node), "yaml-tag", f"YAML tag '{shown}' is not allowed in content", hint)


def _refuse_anchors(text: str) -> None:
    """Raise the refusal of the text's first anchor or alias, if it has one."""
    anchor = _first_anchor(text)
    if anchor is not None:
        pos, what = anchor
        raise _Refused(pos, "yaml-alias", f"YAML {what} are not allowed in content", "write each value out in full")


def _first_anchor(text: str) -> tuple[Pos, str] | None:
    # The composed tree forgets anchors; the event stream keeps them with their positions.
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            return (event.start_mark.line + 1, event.start_mark.column + 1), f"aliases (*{event.anchor})"
        if getattr(event, "anchor", None):
            return (event.start_mark.line + 1, event.start_mark.column + 1), f"anchors (&{event.anchor})"
    return None


def _explain_yaml_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str, str]:
    """Turn a PyYAML error into (line, column, message, hint) an analyst can act on."""
    problem, context = exc.problem or "invalid YAML", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    opened = exc.context_mark
    lines = text.split("\n")
    at = lines[line - 1][col - 1: col] if 0 < line <= len(lines) else ""
    indent = lines[line - 1][: col] if 0 < line <= len(lines) else ""
    if at == "\t" or "tab" in problem or ("\t" in indent and not indent.strip(" \t")):
        return line, col, "a tab character is used for indentation", \
            "YAML indentation must use spaces, not tabs: replace the tab with spaces"
    if "quoted scalar" in context and "end of stream" in problem and opened:
        return opened.line + 1, opened.column + 1, "this quoted text is never closed", \
            "add the closing quote; inside double quotes write \\\" for a quote, inside single quotes ''"
    if context.startswith("while parsing a flow") and opened:
        bracket = _unclosed_bracket(text, opened.index if context == "while parsing a flow node" else None)
        if context != "while parsing a flow node":
            bracket = ("[" if "sequence" in context else "{", opened.line + 1, opened.column + 1)
        if bracket:
            char, b_line, b_col = bracket
            what, close = ("list", "]") if char == "[" else ("mapping", "}")
            return b_line, b_col, \
                f"the {what} that opens here is not closed properly (YAML stopped at line {line}, column {col})", \
                f"check for the closing '{close}', and put items that contain ',', ':', '[' or '{{' in quotes"
    if "simple key" in context and opened:
        return opened.line + 1, opened.column + 1, "this line is neither 'key: value' nor part of a text block", \
            "add ': value' after the key, or indent the line to continue the text above"
    if "single document" in context:
        return line, col, "the file holds more than one YAML document", \
            "a content file holds one document: remove the second '---'"
    if "undefined alias" in problem:
        return line, col, "YAML aliases (*name) are not allowed in content", \
            "write the value out in full; text starting with '*' must be quoted"
    if "cannot start any token" in problem and at:
        return line, col, f"a value cannot start with '{at}'", f"put the whole value in quotes: \"{at}...\""
    message = f"{problem} ({context})" if context else problem
    if "mapping values are not allowed" in problem:
        return line, col, "unexpected ': ' in this value", \
            "put text that contains ': ' in quotes, or check this line's indentation"
    if "expected key" in problem or "block end" in problem or "expected '-'" in problem:
        return line, col, f"the indentation or quoting of this line is off (YAML: {message})", \
            "keys of one mapping start in the same column, list items each start with '- ', " \
            "and a quoted value must end at its closing quote"
    return line, col, message, ""


def _unclosed_bracket(text: str, upto: int | None) -> tuple[str, int, int] | None:
    """Return the innermost '[' or '{' still open at `upto`, skipping quoted text and comments."""
    stack: list[tuple[str, int]] = []
    i, end = 0, len(text) if upto is None else min(upto, len(text))
    while i < end:
        c = text[i]
        if c in "\"'":
            close = text.find(c, i + 1)
            while c == '"' and close > 0 and text[close - 1] == "\\":
                close = text.find(c, close + 1)
            i = end if close < 0 else close
        elif c == "#" and (i == 0 or text[i - 1] in " \t\n"):
            i = text.find("\n", i) if "\n" in text[i:] else end
            continue
        elif c in "[{":
            stack.append((c, i))
        elif c in "]}" and stack:
            stack.pop()
        i += 1
    if not stack:
        return None
    char, index = stack[-1]
    line = text.count("\n", 0, index) + 1
    return char, line, index - (text.rfind("\n", 0, index) + 1) + 1


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
