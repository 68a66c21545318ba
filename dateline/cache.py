"""The build cache: what earlier builds worked out, kept on disk beside the output, keyed by content.

`build` keeps it in a sibling folder of the output (`.site.dateline-cache/` beside `site/`). Every
entry is keyed by a hash of everything it was computed from together with a hash of Dateline's own
code and library versions, so an entry can be missing but never stale, and deleting the folder only
costs time. Each memo is one pickle file, rewritten (atomically) only when the build used something
new, and pruned to what the last build used, so the cache cannot grow without bound.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import stat
import subprocess
import sys
import time
from collections.abc import Iterator, MutableMapping
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic
from .load import Document, display_path, parse_yaml, read_text
from .model import Event, Site

FORMAT = 2
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


def bytes_digest(data: bytes) -> bytes:
    """Return the 16-byte hash of a file's bytes: one function for every place whose digests are compared
    (the record of content files, event checks keyed by them, pages and files in the output's manifest)."""
    return hashlib.blake2b(data, digest_size=16).digest()


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
    Iteration yields key digests, since keys themselves are not stored. With shards > 1 the entries
    are spread over that many files by key digest, each loaded when first needed and written only
    when its entries changed, so one edit to a site rewrites a few small files, not one large one.
    """

    def __init__(self, path: Path | None = None, version: bytes = b"", shards: int = 1) -> None:
        self.path, self.version, self.shards = path, version, shards
        self._stored: list[dict[bytes, Any] | None] = [None if path is not None else {} for _ in range(shards)]
        self._used: list[dict[bytes, Any]] = [{} for _ in range(shards)]
        self._added = [False] * shards
        self._last: tuple[Any, bytes] = (object(), b"")

    def _file(self, shard: int) -> Path:
        assert self.path is not None
        return self.path if self.shards == 1 else self.path.with_name(f"{self.path.stem}.{shard:02x}{self.path.suffix}")

    def _load(self, shard: int) -> dict[bytes, Any]:
        stored = self._stored[shard]
        if stored is None:
            stored = self._stored[shard] = {}
            try:
                with open(self._file(shard), "rb") as f:
                    header = pickle.load(f)
                    if header == (FORMAT, self.version, self.shards):
                        stored = self._stored[shard] = pickle.load(f)
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError,
                    TypeError, IndexError):
                pass  # missing, truncated or from another version: start empty
        return stored

    def _digest(self, key: Any) -> bytes:
        # Callers often test a key and then read it (`if key not in memo: ...; return memo[key]`); the
        # same str or tuple object (of str, in practice) is not hashed twice.
        if key is self._last[0]:
            return self._last[1]
        k = digest(key)
        if type(key) is str or type(key) is tuple:
            self._last = (key, k)
        return k

    def __getitem__(self, key: Any) -> Any:
        k = self._digest(key)
        shard = k[0] % self.shards
        used = self._used[shard]
        if k in used:
            return used[k]
        stored = self._load(shard)
        if k in stored:
            value = used[k] = stored[k]
            return value
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    def __setitem__(self, key: Any, value: Any) -> None:
        k = self._digest(key)
        shard = k[0] % self.shards
        self._used[shard][k] = value
        self._added[shard] = True

    def __delitem__(self, key: Any) -> None:
        k = self._digest(key)
        shard = k[0] % self.shards
        self._load(shard).pop(k, None)
        if self._used[shard].pop(k, None) is None:
            raise KeyError(key)

    def __iter__(self) -> Iterator[bytes]:
        for used in self._used:
            yield from used

    def __len__(self) -> int:
        return sum(len(used) for used in self._used)

    def save(self) -> bool:
        """Write the shards whose entries were added to or left unused; return whether it wrote."""
        if self.path is None:
            return False
        touched = [self._stored[i] is not None or self._added[i] for i in range(self.shards)]
        if not any(touched):
            return False  # not used by this build at all: keep it as it is
        wrote = False
        for shard in range(self.shards):
            if not touched[shard]:
                self._file(shard).unlink(missing_ok=True)  # nothing in it was used
                continue
            stored, used = self._load(shard), self._used[shard]
            if not self._added[shard] and len(used) == len(stored):
                continue
            wrote = self._write(shard, used) or wrote
        return wrote

    def _write(self, shard: int, used: dict[bytes, Any]) -> bool:
        path = self._file(shard)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                pickle.dump((FORMAT, self.version, self.shards), f, protocol=5)
                pickle.dump(used, f, protocol=5)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)
            return False  # a read-only or full disk makes the next build slower, not wrong
        self._stored[shard], self._added[shard] = dict(used), False
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

    def memo(self, name: str, shards: int = 1) -> Memo:
        """Return the named memo, loading it from disk on first use (spread over `shards` files)."""
        memo = self._memos.get(name)
        if memo is None:
            path = self.folder / f"{name}.pickle" if self.folder is not None else None
            memo = self._memos[name] = Memo(path, self.version, shards)
        return memo

    def release(self, name: str) -> None:
        """Write the named memo if it changed and forget it, freeing its entries' memory."""
        memo = self._memos.pop(name, None)
        if memo is not None:
            memo.save()

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
    """Digest page contexts by pickling them, with each Event standing in as its own digest, computed once.

    A set in a context would pickle in hash order, which differs between processes: such a page is
    then rendered on every build (its key never matches), never given stale bytes.
    """

    def __init__(self) -> None:
        self._events: dict[int, tuple[Any, bytes]] = {}

    def event(self, event: Any) -> bytes:
        """Return an Event's digest (kept per object: the site's events are immutable)."""
        found = self._events.get(id(event))
        if found is None:
            found = self._events[id(event)] = (event, digest(event))
        return found[1]

    def know(self, event: Any, print_: bytes) -> None:
        """Take an Event's digest from its maker, who knows everything it was made from (dateline.checking)."""
        self._events[id(event)] = (event, print_)

    def of(self, value: Any) -> bytes:
        """Return the digest of a page context (or any value built from model objects)."""
        buffer = io.BytesIO()
        try:
            _Pickler(buffer, self).dump(value)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            raise Uncacheable(str(exc)) from None
        return hashlib.blake2b(buffer.getbuffer(), digest_size=16).digest()


def _event_print(print_: bytes) -> bytes:
    """What an Event pickles as inside a fingerprint (never unpickled)."""
    return print_


class _Pickler(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO, prints: Fingerprints) -> None:
        super().__init__(buffer, protocol=5)
        self._prints = prints

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is Event:
            return _event_print, (self._prints.event(obj),)
        return NotImplemented


def site_digest(site: Site, templates: bytes, fingerprints: Fingerprints) -> bytes:
    """Digest what every page may read besides its context: settings, tags, sources, history, templates."""
    return digest((code_version(), templates, fingerprints.of((site.config, site.tags, site.sources, site.history))))


def events_digest(site: Site, fingerprints: Fingerprints) -> bytes:
    """Digest the event list, for pages and files that read all of it."""
    return digest(b"".join(fingerprints.event(e) for e in site.events))


# --- The output folder as the last build left it ---------------------------------------------------


RACY_NS = 2_000_000_000
"""A file changed this close to when it was hashed may change again without its times moving (coarse
clocks), so its recorded digest is not trusted, as git treats "racily clean" files."""


def walk_files(root: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Yield (relative path with '/', entry) for every non-folder under root, in name order."""
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        folders = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, prefix + entry.name + "/"))
            else:
                yield prefix + entry.name, entry
        stack.extend(reversed(folders))


def stat_key(path: Path | str) -> tuple[int, int, int] | None:
    """Return what tells a file has not been touched: size, modification time, inode."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def tree_digest(folders: list[Path], known: MutableMapping[Any, Any] | None = None) -> bytes:
    """Digest every file under the folders, names and bytes, in a fixed order.

    With `known` (a memo of path -> stat, time hashed, digest), a file whose size, inode and
    modification and change times are those recorded is not read again, as git's index does.
    """
    h = hashlib.blake2b(digest_size=16)
    for folder in folders:
        h.update(b"\1" + str(folder).encode("utf-8", "surrogateescape"))
        for rel, entry in walk_files(folder):
            h.update(b"\2" + rel.encode("utf-8", "surrogateescape") + b"\0" + _file_digest(entry, known))
    return h.digest()


def _file_digest(entry: os.DirEntry[str], known: MutableMapping[Any, Any] | None) -> bytes:
    try:
        st = os.stat(entry.path)  # follows links, as reading does
    except OSError as exc:
        return b"\0unreadable %d" % (exc.errno or 0)
    if not stat.S_ISREG(st.st_mode):  # opening a FIFO or a device could block or never end
        return b"\0special %d" % st.st_mode
    key = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    if known is not None:
        found = known.get(entry.path)
        if found is not None and found[0] == key and st.st_mtime_ns < found[1] - RACY_NS:
            return found[2]
    hashed_ns = time.time_ns()
    try:
        with open(entry.path, "rb") as f:
            data = f.read()
    except OSError as exc:
        return b"\0unreadable %d" % (exc.errno or 0)
    value = bytes_digest(data)
    if known is not None:
        known[entry.path] = (key, hashed_ns, value)
    return value


def git_state(folder: Path) -> str:
    """Return what the content's git history is read from: the last commit touching it, or why there is none."""
    state = []
    for args in (["rev-parse", "--is-shallow-repository"],
                 ["log", "-1", "--first-parent", "--diff-merges=first-parent", "--format=%H", "--", "."]):
        try:
            result = subprocess.run(["git", *args], cwd=folder, capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"no git: {exc}"
        state.append(f"{result.returncode} {result.stdout.decode('ascii', 'replace').strip()}")
    return " ".join(state)
