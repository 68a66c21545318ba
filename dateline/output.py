"""Write the rendered site: into a temporary folder beside the output, then swap it in."""

from __future__ import annotations

import ctypes
import functools
import glob
import os
import shutil
import sys
from pathlib import Path, PurePosixPath


class OutputError(Exception):
    """The output folder is unsafe or cannot be written."""


def check_output_dir(out: Path, source: Path, repo_root: Path) -> None:
    """Refuse output folders whose replacement would destroy content or code."""
    out_r = out.resolve()
    source_r = source.resolve()
    forbidden = {
        source_r: "the source folder",
        (source_r / "content"): "the content folder",
        (source_r / "templates"): "the templates folder",
        repo_root.resolve(): "the Dateline repository",
        Path(out_r.anchor): "the filesystem root",
        Path.home().resolve(): "your home folder",
    }
    for path, name in forbidden.items():
        if out_r == path:
            raise OutputError(f"refusing to use {name} ({out}) as the output folder")
    for path in (source_r, repo_root.resolve()):
        if path.is_relative_to(out_r):
            raise OutputError(f"refusing to use {out}: it contains {path}, which the build would replace")
    if out_r.is_relative_to(source_r / "content") or out_r.is_relative_to(source_r / "templates"):
        raise OutputError(f"refusing to write the site inside content/ or templates/ ({out})")


def safe_join(root: Path, rel: str) -> Path:
    """Join a site-relative path to root, refusing anything that could escape it."""
    parts = PurePosixPath(rel).parts
    if not parts or rel.startswith("/") or any(p in ("..", ".", "") or "\\" in p or "\x00" in p for p in parts):
        raise OutputError(f"refusing to write unsafe path {rel!r}")
    return root.joinpath(*parts)


def write_site(files: dict[str, bytes], out: Path, previous: dict[str, bytes] | None = None) -> int:
    """Write all files to a fresh folder beside `out`, then swap it in; return bytes written.

    A file whose bytes are those already in `out` is hard-linked into the new folder rather than
    written again, so it keeps its modification time and static hosts and rsync see real changes
    only. `previous` says what `out` holds, when the caller knows; otherwise `out` is read.
    """
    site = NewSite(out)
    total = 0
    try:
        keep = site.out.is_dir()
        for rel in sorted(files):
            data = files[rel]
            if keep and _is_unchanged(site.out, rel, data, previous) and site.link(rel):
                continue
            total += site.put(rel, data)
        site.finish()
    except BaseException:
        site.abandon()
        raise
    return total


class NewSite:
    """The next output folder, filled beside the current one and swapped in with finish().

    Forked workers may put() files into it at the same time as their parent: each file is written
    whole before finish() makes any of them visible under `out`.
    """

    def __init__(self, out: Path) -> None:
        self.out = out.absolute()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        _clear_stale(self.out)
        self.tmp = self.out.parent / f".{self.out.name}.tmp-{os.getpid()}"
        self._old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
        for stale in (self.tmp, self._old):
            if stale.exists():
                shutil.rmtree(stale)
        self.tmp.mkdir()
        self._made: set[str] = set()
        self.previous: dict[str, bytes] = {}
        """The digest of each file the current output holds, where the caller knows it (for link())."""
        self.done: set[str] = set()
        """Files already put() or linked, where the caller keeps count."""

    def _target(self, rel: str) -> Path:
        """Return where rel goes in the new folder, making its folder first."""
        target = safe_join(self.tmp, rel)
        folder = os.path.dirname(target)
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        return target

    def put(self, rel: str, data: bytes) -> int:
        """Write one file of the new site; return its size."""
        with open(self._target(rel), "wb") as f:
            f.write(data)
        return len(data)

    def link(self, rel: str) -> bool:
        """Carry a file over from the current output unchanged (a hard link); False if that cannot be done."""
        try:
            os.link(safe_join(self.out, rel), self._target(rel))
        except OSError:
            return False  # no hard links here (or the file just went)
        return True

    def finish(self) -> None:
        """Swap the new folder in for the output and delete the previous site."""
        out, tmp, old = self.out, self.tmp, self._old
        swapped = out.is_dir() and not out.is_symlink() and _exchange(tmp, out)
        if not swapped:
            if out.exists():
                os.rename(out, old)
            os.rename(tmp, out)
        shutil.rmtree(tmp if swapped else old, ignore_errors=True)  # the previous site

    def abandon(self) -> None:
        """Delete the new folder, leaving the output as it was."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self._old.exists() and not self.out.exists():
            os.rename(self._old, self.out)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where that is not possible.

    With two renames a build killed between them would leave no output folder at all.
    """
    rename = _renameat2()
    if rename is None:
        return False
    return rename(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


@functools.cache
def _renameat2():
    if sys.platform != "linux":
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None


def _clear_stale(out: Path) -> None:
    """Remove the temporary folders of builds that were killed; bring back a site one left aside."""
    prefix = f".{out.name}."
    for path in out.parent.glob(glob.escape(prefix) + "*-*"):
        kind, _, pid = path.name[len(prefix):].rpartition("-")
        if kind not in ("tmp", "old") or not pid.isdigit() or _is_running(int(pid)):
            continue
        if kind == "old" and not out.exists():
            os.rename(path, out)  # killed between the two renames: this is the previous site
        else:
            shutil.rmtree(path, ignore_errors=True)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def _is_unchanged(out: Path, rel: str, data: bytes, previous: dict[str, bytes] | None) -> bool:
    if previous is not None:
        before = previous.get(rel)
        return before is data or before == data
    path = safe_join(out, rel)
    try:
        if path.is_symlink() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def update_site(out: Path, changed: dict[str, bytes], removed: list[str]) -> int:
    """Change a folder in place: write the changed files, delete the removed ones; return bytes written.

    Unlike write_site the folder changes file by file, but it costs only the files that changed.
    Each file is written beside its place and renamed over it, so no reader (and no build killed
    half-way) sees a half-written file, and hard links to the old file keep the old bytes.
    """
    total = 0
    for rel in sorted(changed):
        target = safe_join(out, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        try:
            tmp.write_bytes(changed[rel])
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        total += len(changed[rel])
    for rel in removed:
        target = safe_join(out, rel)
        target.unlink(missing_ok=True)
        folder = target.parent
        while folder != out and folder.is_relative_to(out) and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return total
