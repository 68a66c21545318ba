"""Write the rendered site: into a temporary folder beside the output, then swap it in."""

from __future__ import annotations

import os
import shutil
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


def write_site(files: dict[str, bytes], out: Path) -> int:
    """Write all files to a fresh folder beside `out`, then swap it in; return bytes written."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    for stale in (tmp, old):
        if stale.exists():
            shutil.rmtree(stale)
    total = 0
    try:
        made: set[Path] = set()
        for rel in sorted(files):
            target = safe_join(tmp, rel)
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            data = files[rel]
            target.write_bytes(data)
            total += len(data)
        if out.exists():
            os.rename(out, old)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return total
