"""Load content files: YAML documents with the position of every key and value."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Container, Iterable

from .diagnostics import Diagnostic, ERROR, WARNING
from .documents import Document, Pos, parse_yaml  # noqa: F401 (re-exported)

MAX_FILE_BYTES = 1_000_000
"""Content files larger than this are refused: no event or source needs more."""


def display_path(path: Path | str) -> str:
    """Return the path as users should see it: relative to the working directory when inside it."""
    text = os.fspath(path)
    # The common cases without os.path.relpath, which costs ~10 us a call (a site has 10,000 files).
    if os.path.normpath(text) == text:
        if not os.path.isabs(text):
            if text != ".." and not text.startswith("../"):
                return text
        else:
            cwd = os.getcwd()
            if cwd != "/" and text.startswith(cwd + "/"):
                return text[len(cwd) + 1:]
            if cwd != "/" and not cwd.startswith(text + "/") and text != cwd:
                return text
    rel = os.path.relpath(text)
    return text if rel.startswith("..") else rel


def read_text(path: Path, shown: str) -> tuple[str | None, Diagnostic | None]:
    """Read a UTF-8 content file, refusing oversized, binary and non-UTF-8 files."""
    raw, problem = read_bytes(path, shown)
    if raw is None:
        return None, problem
    return decode_text(raw, shown)


def read_bytes(path: Path, shown: str) -> tuple[bytes | None, Diagnostic | None]:
    """Read a content file's bytes, refusing special and oversized files."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block until a writer appears
            return None, Diagnostic(shown, 1, 1, ERROR, "not-a-file", "this is not a regular file")
        size = st.st_size
        if size > MAX_FILE_BYTES:
            return None, Diagnostic(
                shown, 1, 1, ERROR, "file-too-large",
                f"file is {size:,} bytes; the limit for a content file is {MAX_FILE_BYTES:,} bytes",
                "split the text or store long article text in a sibling .txt source file",
            )
        return path.read_bytes(), None
    except OSError as exc:
        return None, Diagnostic(shown, 1, 1, ERROR, "unreadable", f"cannot read file: {exc.strerror}")


def decode_text(raw: bytes, shown: str) -> tuple[str | None, Diagnostic | None]:
    """Decode a content file's bytes as UTF-8 text, refusing binary and non-UTF-8 files."""
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
    # With load_content(events=False): the event files, listed but not read.
    event_files: list[Path] = field(default_factory=list)
    # Ids whose file exists but could not be read ("events", "sources"; "tags" holds "tags.yaml"):
    # references to them are not reported again as dangling.
    broken: dict[str, set[str]] = field(default_factory=lambda: {"events": set(), "sources": set(), "tags": set()})


def load_content(content_dir: Path, cache: FileCache | None = None, *, events: bool = True) -> RawContent:
    """Read site.yaml, tags.yaml, events/ and sources/ under a content folder (through `cache` if given).

    With events=False the event files are only listed (in `event_files`), for a caller that reads them
    itself (dateline.checking, on every core).
    """
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
            if path.suffix == ".yaml" and folder == "events" and not events:
                raw.event_files.append(path)
            elif path.suffix == ".yaml":
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
        if entry.name.startswith("."):
            continue  # editors' swap and backup files
        path = Path(entry.path)
        if entry.is_symlink() and not _is_inside(path, root):
            diagnostics.append(_outside(path))
            continue
        exact = os.path.splitext(entry.name)[1]  # path.suffix, without its cost (this runs for every file)
        suffix = exact.lower()
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
        if suffix in (".yml", ".yaml") and exact != ".yaml":
            diagnostics.append(Diagnostic(
                display_path(path), 1, 1, ERROR, "bad-extension",
                f"content files use the .yaml extension, not {path.suffix}", f"rename it to {path.stem}.yaml"))
            continue
        if exact not in wanted:
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


def is_linked_out(path: Path, root: Path) -> bool:
    """Tell whether path is a symbolic link that leads out of root (the resolved content folder)."""
    return path.is_symlink() and not _is_inside(path, root)


def outside_diagnostic(path: Path) -> Diagnostic:
    """The error for a content file linked out of the content folder."""
    return _outside(path)


def _load_checked(path: Path, root: Path, diagnostics: list[Diagnostic],
                  cache: FileCache | None = None) -> Document | None:
    if is_linked_out(path, root):
        diagnostics.append(_outside(path))
        return None
    doc, problem = (cache.load_yaml_file if cache else load_yaml_file)(path)
    if problem:
        diagnostics.append(problem)
    return doc


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
