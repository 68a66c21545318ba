"""Load content files: YAML documents with the position of every key and value."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Container, Iterable

import yaml

from .diagnostics import Diagnostic, ERROR, WARNING

try:  # libyaml is ~10x faster; the PyPI wheels include it.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - only on builds without libyaml
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = 1_000_000
"""Content files larger than this are refused: no event or source needs more."""

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


def display_path(path: Path) -> str:
    """Return the path as users should see it: relative to the working directory when inside it."""
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


def read_text(path: Path, shown: str) -> tuple[str | None, Diagnostic | None]:
    """Read a UTF-8 content file, refusing oversized, binary and non-UTF-8 files."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, Diagnostic(
                shown, 1, 1, ERROR, "file-too-large",
                f"file is {size:,} bytes; the limit for a content file is {MAX_FILE_BYTES:,} bytes",
                "split the text or store long article text in a sibling .txt source file",
            )
        raw = path.read_bytes()
    except OSError as exc:
        return None, Diagnostic(shown, 1, 1, ERROR, "unreadable", f"cannot read file: {exc.strerror}")
    if b"\x00" in raw:
        return None, Diagnostic(shown, 1, 1, ERROR, "binary-file", "file contains NUL bytes; it is not a text file",
                                "content files are UTF-8 text; if an editor saved it as UTF-16, save it as UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start]
        guess = bytes([byte]).decode("cp1252", errors="replace")
        hint = "save the file as UTF-8"
        if guess != "\ufffd" and not guess.isascii():
            hint += f" (this byte is '{guess}' in the Windows-1252 encoding the file was probably saved in)"
        return None, Diagnostic(shown, line, col, ERROR, "encoding", f"invalid UTF-8 byte 0x{byte:02x}", hint)
    return text.replace("\r\n", "\n"), None


def parse_yaml(text: str, shown: str) -> tuple[Document | None, Diagnostic | None]:
    """Parse YAML text into a Document; refuse anchors, aliases, custom tags and duplicate keys."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        # Aliases would let a small file expand into a huge one, and content has no use for them.
        anchor = _first_anchor(text) if node is not None and ("&" in text or "*" in text) else None
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
    if anchor is not None:
        (line, col), what = anchor
        return None, Diagnostic(shown, line, col, ERROR, "yaml-alias",
                                f"YAML {what} are not allowed in content", "write each value out in full")
    doc = Document(shown, None)
    if node is None:
        return doc, None
    try:
        doc.data = _construct(node, (), doc, set())
    except _Refused as exc:
        return None, Diagnostic(shown, exc.pos[0], exc.pos[1], ERROR, exc.code, exc.message, exc.hint)
    except RecursionError:
        return None, Diagnostic(shown, 1, 1, ERROR, "yaml-syntax", "YAML nesting is too deep")
    return doc, None


def load_yaml_file(path: Path) -> tuple[Document | None, Diagnostic | None]:
    """Read and parse one YAML content file."""
    shown = display_path(path)
    text, problem = read_text(path, shown)
    if problem:
        return None, problem
    return parse_yaml(text, shown)


@dataclass
class RawContent:
    """Every content file read from disk, parsed but not yet validated."""

    root: Path
    site: Document | None = None
    tags: Document | None = None
    events: list[Document] = field(default_factory=list)
    sources: list[Document] = field(default_factory=list)
    source_texts: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (file, text)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Ids whose file exists but could not be read ("events", "sources"; "tags" holds "tags.yaml"):
    # references to them are not reported again as dangling.
    broken: dict[str, set[str]] = field(default_factory=lambda: {"events": set(), "sources": set(), "tags": set()})


def load_content(content_dir: Path, cache: FileCache | None = None) -> RawContent:
    """Read site.yaml, tags.yaml, events/ and sources/ under a content folder (through `cache` if given)."""
    raw = RawContent(content_dir)
    root = content_dir.resolve()
    for name in ("site.yaml", "tags.yaml"):
        path = content_dir / name
        if not path.exists() and not path.is_symlink():
            if name == "site.yaml":
                raw.diagnostics.append(Diagnostic(
                    display_path(path), 1, 1, ERROR, "missing-file", "content/site.yaml is missing",
                    "create it with at least title and base_url"))
            continue
        if path.is_dir():
            raw.diagnostics.append(_not_a_file(path, "this is a folder, not a file"))
            doc = None
        else:
            doc = _load_checked(path, root, raw.diagnostics, cache)
        setattr(raw, name[:-5], doc)
        if doc is None and name == "tags.yaml":
            raw.broken["tags"].add(name)
    for folder, bucket in (("events", raw.events), ("sources", raw.sources)):
        for path in content_files(content_dir / folder, root, raw.diagnostics):
            if path.suffix == ".yaml":
                doc = _load_checked(path, root, raw.diagnostics, cache)
                if doc is not None:
                    bucket.append(doc)
                else:
                    raw.broken[folder].add(path.stem)
            elif folder == "sources" and path.suffix == ".txt":
                text, problem = (cache.read_text if cache else read_text)(path, display_path(path))
                if problem:
                    raw.diagnostics.append(problem)
                    raw.broken[folder].add(path.stem)
                else:
                    raw.source_texts[path.stem] = (display_path(path), text)
    return raw


def content_files(folder: Path, root: Path, diagnostics: list[Diagnostic]) -> list[Path]:
    """List a content folder's files in name order, refusing links out of content/ and stray folders."""
    if not folder.is_dir():
        if folder.exists():
            diagnostics.append(_not_a_file(folder, f"content/{folder.name} must be a folder"))
        return []
    if not _is_inside(folder, root):
        diagnostics.append(_outside(folder))
        return []
    wanted = (".yaml", ".txt") if folder.name == "sources" else (".yaml",)
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue  # editors' swap and backup files
        if entry.is_symlink() and not _is_inside(path, root):
            diagnostics.append(_outside(path))
            continue
        suffix = path.suffix.lower()
        if entry.is_dir():
            if suffix in (".yaml", ".yml", ".txt"):
                diagnostics.append(_not_a_file(path, "this is a folder named like a content file",
                                               "remove or rename the folder"))
            elif any(p.suffix.lower() in (".yaml", ".yml") for p in path.rglob("*")):
                diagnostics.append(_not_a_file(
                    path, f"folders inside content/{folder.name}/ are not read, so the files in it would be lost",
                    f"move its files up into content/{folder.name}/"))
            continue
        if not entry.is_file():
            diagnostics.append(_not_a_file(path, "this is not a regular file"))
            continue
        if suffix in (".yml", ".yaml") and path.suffix != ".yaml":
            diagnostics.append(Diagnostic(
                display_path(path), 1, 1, ERROR, "bad-extension",
                f"content files use the .yaml extension, not {path.suffix}", f"rename it to {path.stem}.yaml"))
            continue
        if path.suffix not in wanted:
            if not entry.name.lower().startswith("readme"):
                diagnostics.append(Diagnostic(
                    display_path(path), 1, 1, WARNING, "ignored-file",
                    f"this file is not read: content/{folder.name}/ holds {' and '.join(wanted)} files",
                    "move it elsewhere, or rename it if it is content"))
            continue
        found.append(path)
    return found


def _not_a_file(path: Path, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(display_path(path), 1, 1, ERROR, "not-a-file", message, hint)


def _outside(path: Path) -> Diagnostic:
    return Diagnostic(display_path(path), 1, 1, ERROR, "symlink-outside",
                      "symbolic link points outside the content folder", "copy the file into content/ instead")


def _is_inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _load_checked(path: Path, root: Path, diagnostics: list[Diagnostic],
                  cache: FileCache | None = None) -> Document | None:
    if path.is_symlink() and not _is_inside(path, root):
        diagnostics.append(_outside(path))
        return None
    doc, problem = (cache.load_yaml_file if cache else load_yaml_file)(path)
    if problem:
        diagnostics.append(problem)
    return doc


def _pos(node: yaml.Node) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _construct(node: yaml.Node, path: Path_, doc: Document, seen: set[int]) -> Any:
    if id(node) in seen:
        # The composer shares one node object between an anchor and its aliases.
        raise _Refused(_pos(node), "yaml-alias", "YAML anchors and aliases are not allowed in content",
                       "write each value out in full")
    seen.add(id(node))
    doc.marks[path] = _pos(node)
    tag = node.tag
    if isinstance(node, yaml.MappingNode):
        if tag != _TAG + "map":
            raise _tag_refused(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                raise _Refused(_pos(key_node), "yaml-alias", "YAML merge keys ('<<') are not allowed in content",
                               "write the keys out in full")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                raise _Refused(_pos(key_node), "yaml-syntax", "mapping keys must be plain text",
                               "write 'key: value'; a key cannot be a list or a mapping")
            key = str(key_node.value)
            if key in result:
                first = doc.key_marks.get(path + (key,), (0, 0))[0]
                raise _Refused(_pos(key_node), "duplicate-key",
                               f"key '{key}' appears twice in this mapping (first on line {first})",
                               "remove one of them; YAML would silently keep only the last")
            doc.key_marks[path + (key,)] = _pos(key_node)
            result[key] = _construct(value_node, path + (key,), doc, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        if tag != _TAG + "seq":
            raise _tag_refused(node)
        return [_construct(item, path + (i,), doc, seen) for i, item in enumerate(node.value)]
    if tag not in _SCALAR_TAGS:
        raise _tag_refused(node)
    if tag == _TAG + "str" or tag == _TAG + "timestamp":
        # Dates stay as written; dateline.dates parses them with precision intact.
        return node.value
    doc.written[path] = node.value
    if tag == _TAG + "null":
        return None
    return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)


def _tag_refused(node: yaml.Node) -> _Refused:
    tag = node.tag
    shown = "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag
    hint = "content is plain data: remove the tag"
    if isinstance(node, yaml.ScalarNode):
        hint += f", or put the whole value in quotes if it is text: \"{shown} {_clip(node.value, 30)}\""
    return _Refused(_pos(node), "yaml-tag", f"YAML tag '{shown}' is not allowed in content", hint)


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


def load_static(template_dirs: list[Path], content_dir: Path, diagnostics: Any) -> dict[str, bytes]:
    """Read static assets: templates' static/ under /static/, content/static/ verbatim at the root."""
    files: dict[str, bytes] = {}
    # Later folders lose to earlier ones, so a site's own templates override the defaults file by file.
    for folder in template_dirs:
        for rel, data in _read_tree(folder / "static", diagnostics, folder).items():
            files.setdefault("static/" + rel, data)
    for rel, data in _read_tree(content_dir / "static", diagnostics, content_dir).items():
        if rel in files:
            _replaced(content_dir, rel, diagnostics, "the templates' asset of the same name")
        files.setdefault(rel, data)
    return files


def report_replaced_static(static: Iterable[str], generated: Container[str], content_dir: Path,
                           report: Any) -> None:
    """Warn about content/static/ files that a generated file of the same path replaces."""
    for rel in static:
        if rel in generated and (content_dir / "static" / rel).is_file():
            _replaced(content_dir, rel, report, f"its own /{rel}")


def _replaced(content_dir: Path, rel: str, report: Any, what: str) -> None:
    report.warning(display_path(content_dir / "static" / rel), (1, 1), "static-replaced",
                   f"this file is not copied: the build writes {what} there",
                   "remove it, or give it another name")


def _read_tree(folder: Path, report: Any, within: Path) -> dict[str, bytes]:
    """Read every file under folder, refusing links that lead out of `within` (content/ or a templates/)."""
    out: dict[str, bytes] = {}
    if not folder.is_dir():
        return out
    root = within.resolve()
    if not _is_inside(folder, root):
        report.error(display_path(folder), (1, 1), "symlink-outside", "symbolic link points outside its folder",
                     "copy the folder instead")
        return out
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            dirnames.remove(name)  # not followed: say so rather than drop its files silently
            report.error(display_path(Path(dirpath) / name), (1, 1), "symlink-outside" if not _is_inside(
                Path(dirpath) / name, root) else "linked-folder", "a linked folder is not copied",
                "copy the folder instead")
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            shown = display_path(path)
            if path.is_symlink() and not _is_inside(path, root):
                report.error(shown, (1, 1), "symlink-outside",
                             "symbolic link points outside its folder", "copy the file instead")
                continue
            try:
                if not stat.S_ISREG(path.stat().st_mode):
                    report.error(shown, (1, 1), "not-a-file", "this is not a regular file")
                    continue
                out[path.relative_to(folder).as_posix()] = path.read_bytes()
            except OSError as exc:
                report.error(shown, (1, 1), "unreadable", f"cannot read file: {exc.strerror}")
    return out


# --- Reading again cheaply (serve, incremental builds) ---------------------------------------------


@dataclass
class _Entry:
    key: tuple[int, int, int, int]
    read_ns: int
    result: tuple[Any, Diagnostic | None]


class FileCache:
    """Remember what reading each content file gave; read a file again only when it has changed.

    A file is unchanged while its size, inode and modification and change times stay the same. A file
    modified shortly before it was read could change again without its times moving (coarse clocks),
    so such a file is read again, as git treats "racily clean" files.
    """

    RACY_NS = 2_000_000_000

    def __init__(self) -> None:
        self._entries: dict[tuple[str, Path], _Entry] = {}

    def load_yaml_file(self, path: Path) -> tuple[Document | None, Diagnostic | None]:
        """Return load_yaml_file(path), from memory when the file has not changed."""
        return self._get("yaml", path, lambda: load_yaml_file(path))

    def read_text(self, path: Path, shown: str) -> tuple[str | None, Diagnostic | None]:
        """Return read_text(path, shown), from memory when the file has not changed."""
        return self._get("text:" + shown, path, lambda: read_text(path, shown))

    def _get(self, kind: str, path: Path, read: Any) -> Any:
        try:
            st = path.stat()
        except OSError:
            self._entries.pop((kind, path), None)
            return read()
        key = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
        entry = self._entries.get((kind, path))
        if entry is not None and entry.key == key and st.st_mtime_ns < entry.read_ns - self.RACY_NS:
            return entry.result
        read_ns = time.time_ns()
        result = read()
        self._entries[(kind, path)] = _Entry(key, read_ns, result)
        return result
