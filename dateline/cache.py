"""The build cache: what earlier builds worked out, kept on disk beside the output, keyed by content.

`build` keeps it in a sibling folder of the output (`.site.dateline-cache/` beside `site/`). Every
entry is keyed by a hash of everything it was computed from together with a hash of Dateline's own
code and library versions, so an entry can be missing but never stale, and deleting the folder only
costs time. Each memo is one pickle file, rewritten (atomically) only when the build used something
new, and pruned to what the last build used, so the cache cannot grow without bound.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import subprocess
import sys
from collections.abc import Iterator, MutableMapping
from dataclasses import fields as dataclass_fields
from dataclasses import is_dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic
from .load import Document, display_path, parse_yaml, read_text
from .model import Event, Site

FORMAT = 1
"""Bump when the layout of cache files changes."""

PACKAGE = Path(__file__).resolve().parent
_LIBRARIES = ("Jinja2", "Markdown", "MarkupSafe", "nh3", "PyYAML")


def cache_folder(out: Path) -> Path:
    """Return the cache folder that belongs to an output folder: a hidden sibling of it."""
    out = out.absolute()
    return out.parent / f".{out.name}.dateline-cache"


@lru_cache(maxsize=1)
def code_version() -> bytes:
    """Hash Dateline's source files and the versions of the libraries and Python it runs on."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{FORMAT} {sys.version} {sys.implementation.cache_tag}".encode())
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "?"
        h.update(f" {name}={version}".encode())
    h.update(f" libyaml={getattr(sys.modules.get('yaml'), '__with_libyaml__', None)}".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    return h.digest()


def digest(value: Any) -> bytes:
    """Return a 16-byte hash of a value made of str, bytes, numbers, None, tuples, lists, dicts and dataclasses."""
    if isinstance(value, str):
        data = b"s" + value.encode("utf-8", "surrogatepass")
    elif isinstance(value, bytes):
        data = b"b" + value
    else:
        data = b"p" + pickle.dumps(value, protocol=5)
    return hashlib.blake2b(data, digest_size=16).digest()


class Memo(MutableMapping[Any, Any]):
    """A persistent mapping from any picklable key (stored as its digest) to a picklable value.

    Reading an entry marks it as used; save() keeps only the entries used or added since loading.
    Iteration yields key digests, since keys themselves are not stored.
    """

    def __init__(self, path: Path | None = None, version: bytes = b"") -> None:
        self.path, self.version = path, version
        self._stored: dict[bytes, Any] | None = None if path is not None else {}
        self._used: dict[bytes, Any] = {}
        self._added = False

    def _load(self) -> dict[bytes, Any]:
        if self._stored is None:
            self._stored = {}
            try:
                with open(self.path, "rb") as f:  # type: ignore[arg-type]
                    header = pickle.load(f)
                    if header == (FORMAT, self.version):
                        self._stored = pickle.load(f)
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError,
                    TypeError, IndexError):
                pass  # missing, truncated or from another version: start empty
        return self._stored

    def __getitem__(self, key: Any) -> Any:
        k = digest(key)
        if k in self._used:
            return self._used[k]
        stored = self._load()
        if k in stored:
            value = self._used[k] = stored[k]
            return value
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    def __setitem__(self, key: Any, value: Any) -> None:
        self._used[digest(key)] = value
        self._added = True

    def __delitem__(self, key: Any) -> None:
        k = digest(key)
        self._load().pop(k, None)
        if self._used.pop(k, None) is None:
            raise KeyError(key)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._used)

    def __len__(self) -> int:
        return len(self._used)

    def save(self) -> bool:
        """Write the used entries if anything was added or left unused; return whether it wrote."""
        if self.path is None:
            return False
        stored = self._load()
        if not self._added and len(self._used) == len(stored):
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                pickle.dump((FORMAT, self.version), f, protocol=5)
                pickle.dump(self._used, f, protocol=5)
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)
            return False  # a read-only or full disk makes the next build slower, not wrong
        self._stored, self._added = dict(self._used), False
        return True


class BuildCache:
    """The memos one build reads and writes, in one folder (or only in memory when folder is None)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.version = code_version()
        self._memos: dict[str, Memo] = {}

    @classmethod
    def for_output(cls, out: Path) -> BuildCache:
        """Return the cache that belongs to an output folder."""
        return cls(cache_folder(out))

    def memo(self, name: str) -> Memo:
        """Return the named memo, loading it from disk on first use."""
        memo = self._memos.get(name)
        if memo is None:
            path = self.folder / f"{name}.pickle" if self.folder is not None else None
            memo = self._memos[name] = Memo(path, self.version)
        return memo

    def save(self) -> None:
        """Write every memo that changed."""
        for memo in self._memos.values():
            memo.save()


class ParsedFiles:
    """Read content files like load.load_content does, parsing a YAML text no earlier build has parsed.

    Offers the two methods load_content() asks its `cache` for; keys are the shown path and the text,
    so an entry is the Document that parsing that text gives, diagnostics included.
    """

    def __init__(self, memo: MutableMapping[Any, Any]) -> None:
        self._memo = memo

    def load_yaml_file(self, path: Path) -> tuple[Document | None, Diagnostic | None]:
        """Return load.load_yaml_file(path), reusing the parse of an identical text."""
        shown = display_path(path)
        text, problem = read_text(path, shown)
        if problem is not None or text is None:
            return None, problem
        key = ("yaml", shown, text)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = parse_yaml(text, shown)
        return found

    def read_text(self, path: Path, shown: str) -> tuple[str | None, Diagnostic | None]:
        """Return load.read_text(path, shown): reading is the cost, so nothing to keep."""
        return read_text(path, shown)


# --- Fingerprints: what a page is rendered from ----------------------------------------------------


class Uncacheable(Exception):
    """A page context holds something that cannot be fingerprinted; the page is always rendered."""


class Fingerprints:
    """Digest page contexts, hashing each Event once per build."""

    def __init__(self) -> None:
        self._events: dict[int, tuple[Any, bytes]] = {}

    def event(self, event: Any) -> bytes:
        """Return an Event's digest (kept per object: the site's events are immutable)."""
        found = self._events.get(id(event))
        if found is None:
            found = self._events[id(event)] = (event, digest(event))
        return found[1]

    def of(self, value: Any) -> bytes:
        """Return the digest of a page context (or any value built from model objects)."""
        try:
            return digest(self._plain(value))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            raise Uncacheable(str(exc)) from None

    def _plain(self, value: Any) -> Any:
        if value is None or isinstance(value, (str, int, float, bytes)):
            return value
        if isinstance(value, Event):
            return ("E", self.event(value))
        if isinstance(value, (tuple, list)):
            return (type(value).__name__, tuple(self._plain(v) for v in value))
        if isinstance(value, dict):
            return ("d", tuple((self._plain(k), self._plain(v)) for k, v in value.items()))
        if is_dataclass(value) and not isinstance(value, type):
            return (type(value).__qualname__,
                    tuple(self._plain(getattr(value, f.name)) for f in dataclass_fields(value)))
        if isinstance(value, (set, frozenset)):
            return ("set", tuple(sorted(digest(self._plain(v)) for v in value)))
        return ("o", type(value).__qualname__, digest(value))


def site_digest(site: Site, templates: bytes, fingerprints: Fingerprints) -> bytes:
    """Digest what every page may read besides its context: settings, tags, sources, history, templates."""
    return digest((code_version(), templates, fingerprints.of((site.config, site.tags, site.sources)),
                   digest(site.history)))


def events_digest(site: Site, fingerprints: Fingerprints) -> bytes:
    """Digest the event list, for pages and files that read all of it."""
    return digest(b"".join(fingerprints.event(e) for e in site.events))


# --- The output folder as the last build left it ---------------------------------------------------


def stat_key(path: Path) -> tuple[int, int, int] | None:
    """Return what tells a file has not been touched: size, modification time, inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def tree_digest(folders: list[Path]) -> bytes:
    """Digest every file under the folders, names and bytes, in a fixed order."""
    h = hashlib.blake2b(digest_size=16)
    for folder in folders:
        h.update(b"\1" + str(folder).encode())
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                    # Only regular files: opening a FIFO or a device would block or never end (load refuses them).
                    if stat.S_ISREG(st.st_mode):
                        with open(path, "rb") as f:
                            data = f.read()
                    else:
                        data = b"\0special %d" % st.st_mode
                except OSError as exc:
                    data = b"\0unreadable %d" % (exc.errno or 0)
                h.update(b"\2" + os.path.relpath(path, folder).encode("utf-8", "surrogateescape") + b"\0")
                h.update(len(data).to_bytes(8, "little") + data)
    return h.digest()


def git_state(folder: Path) -> str:
    """Return the commit the content's history is read from, or why there is none."""
    try:
        result = subprocess.run(["git", "rev-parse", "--is-shallow-repository", "HEAD"], cwd=folder,
                                capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"no git: {exc}"
    return result.stdout.decode("ascii", "replace") + f" {result.returncode}"
