#!/usr/bin/env python3
"""Benchmark whole-process builds of generated corpora and print a table: python bench/run.py.

For each size it generates a corpus (bench/make_corpus.py, cached under bench/corpora/<N>/), then
times `build.py build` as a subprocess: a cold build (no output, no cache), a rebuild with nothing
changed, and a rebuild after editing one event's summary, each the median of --runs runs. Peak RSS
is the largest resident set of the build process or any worker it waited for (wait4). The floor is
Python reading every YAML file with the C loader and writing the same bytes back out, no
templating, measured the same way in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPORA = BENCH / "corpora"
EDIT = " The range figure was later revised."


@dataclass
class Timing:
    seconds: float
    cpu: float  # user + system seconds of the process tree, less sensitive to a busy machine
    peak_mb: float


@dataclass
class Row:
    events: int
    cold: list[Timing]
    unchanged: list[Timing]
    edited: list[Timing]
    floor: list[Timing]
    pages: int
    site_mb: float
    serve: float | None = None  # median seconds from saving an event to serve answering with the new page


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,4000,10000", help="comma-separated event counts")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement; the median is shown")
    parser.add_argument("--seed", type=int, default=8, help="corpus seed (default 8)")
    parser.add_argument("--no-serve", action="store_true",
                        help="skip timing serve's rebuild after one edit (bench/serve_latency.py)")
    parser.add_argument("--repo", type=Path, default=REPO,
                        help="Dateline checkout whose build.py is timed (default: this one)")
    parser.add_argument("--floor", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        floor(Path(args.floor[0]), Path(args.floor[1]))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(machine(), file=sys.stderr)
    rows = []
    empty_trash()
    try:
        for i, n in enumerate(sizes):
            rows.append(bench_size(n, args.runs, args.seed, args.repo.resolve()))
            if not args.no_serve:
                rows[-1].serve = serve_edit(n, args.runs, args.repo.resolve())
            print(format_table(rows[-1:], header=i == 0), file=sys.stderr)
    finally:
        empty_trash()
    print()
    print(f"Machine: {machine()}")
    print(f"Medians of {args.runs} whole-process runs; peak RSS is the largest of any run.\n")
    print(format_table(rows))
    return 0


def machine() -> str:
    """Describe the machine: CPU model, cores, Python."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " ".join(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def bench_size(n: int, runs: int, seed: int, repo: Path) -> Row:
    """Generate (or reuse) the corpus of n events and time every kind of build on it."""
    work = CORPORA / str(n)
    corpus(n, work, seed)
    out = work / "site"
    cold, unchanged, edited, floors = [], [], [], []
    for _ in range(runs):
        floors.append(timed([sys.executable, str(BENCH / "run.py"), "--floor", str(work / "content"),
                             str(work / "floor-out")]))
        discard(work / "floor-out")
    for _ in range(runs):
        clean(work)
        cold.append(build(repo, work, out))
    pages = sum(1 for _ in out.rglob("*.html"))
    site_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    for _ in range(runs):
        unchanged.append(build(repo, work, out))
    event = sorted((work / "content" / "events").glob("*.yaml"))[n // 2]
    original = event.read_text(encoding="utf-8")
    try:
        for i in range(runs):
            event.write_text(edited_text(original) if i % 2 == 0 else original, encoding="utf-8")
            edited.append(build(repo, work, out))
    finally:
        event.write_text(original, encoding="utf-8")
    return Row(n, cold, unchanged, edited, floors, pages, site_mb)


def serve_edit(n: int, runs: int, repo: Path) -> float | None:
    """Return the median seconds serve takes from an edit to the rebuilt page (bench/serve_latency.py)."""
    script = repo / "bench" / "serve_latency.py"
    if not script.exists():
        return None
    result = subprocess.run([sys.executable, str(script), str(n), "--runs", str(max(runs, 3))], cwd=repo,
                            capture_output=True, text=True, timeout=3600)
    found = re.search(r"median (\d+) ms", result.stdout)
    if result.returncode != 0 or not found:
        print(f"serve_latency.py failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}", file=sys.stderr)
        return None
    return int(found.group(1)) / 1000


def corpus(n: int, work: Path, seed: int) -> None:
    """Make the corpus unless one made by the same generator and seed is already there."""
    stamp = work / "corpus.stamp"
    generator = (BENCH / "make_corpus.py").read_bytes()
    wanted = f"{n} {seed} {hash_bytes(generator)}\n"
    if stamp.exists() and stamp.read_text() == wanted and (work / "content").is_dir():
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    subprocess.run([sys.executable, str(BENCH / "make_corpus.py"), str(n), str(work), "--seed", str(seed)],
                   check=True)
    stamp.write_text(wanted)


def hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def clean(work: Path) -> None:
    """Set aside everything a build left beside the content: output, caches, temp folders."""
    for entry in work.iterdir():
        if entry.name not in ("content", "corpus.stamp"):
            discard(entry)


TRASH = CORPORA / ".trash"


def discard(path: Path) -> None:
    """Move a file or folder into the trash, emptied once all timing is done.

    Deleting a site's 12,000 folders makes this machine's ext4 (mounted with online discard) slow to
    create files for tens of seconds after; deleting between timed runs would time that, not the build.
    """
    if not path.exists() and not path.is_symlink():
        return
    TRASH.mkdir(parents=True, exist_ok=True)
    os.rename(path, TRASH / f"{time.time_ns()}-{path.name}")


def empty_trash() -> None:
    shutil.rmtree(TRASH, ignore_errors=True)


def edited_text(text: str) -> str:
    """Return an event file with one sentence added to the first line of its summary."""
    lines = text.split("\n")
    at = lines.index("summary: |") + 1
    lines[at] += EDIT
    return "\n".join(lines)


def build(repo: Path, work: Path, out: Path) -> Timing:
    """Time one `build.py build` of the corpus, failing loudly if the build fails."""
    return timed([sys.executable, str(repo / "build.py"), "build", "--source", str(work), "--out", str(out)],
                 cwd=repo)


def timed(command: list[str], cwd: Path = REPO) -> Timing:
    """Run a command to completion; return its wall time and the peak RSS of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 gives this child's own rusage (with the children it reaped), not the running total
    # that getrusage(RUSAGE_CHILDREN) would.
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed with status {process.returncode}:\n{errors.decode()[-3000:]}")
    return Timing(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def floor(src: Path, out: Path) -> None:
    """Read every YAML file with the C loader and write its bytes out, one file per document."""
    import yaml

    shutil.rmtree(out, ignore_errors=True)
    for dirpath, _, names in os.walk(src):
        for name in sorted(names):
            path = Path(dirpath) / name
            data = path.read_bytes()
            if name.endswith(".yaml"):
                yaml.load(data.decode("utf-8"), Loader=yaml.CSafeLoader)
            target = out / path.relative_to(src).with_suffix("") / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def format_table(rows: list[Row], header: bool = True) -> str:
    """Return a Markdown table of medians."""
    def med(timings: list[Timing], what: str = "seconds") -> str:
        return f"{statistics.median(getattr(t, what) for t in timings):.2f}"

    lines = []
    if header:
        lines += ["| events | cold build s | no-change rebuild s | one-edit rebuild s | peak RSS MB | pages "
                  "| MB written | floor s | floor RSS MB | cold build CPU s | serve one-edit s |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        peak = max(t.peak_mb for t in r.cold + r.unchanged + r.edited)
        lines.append(f"| {r.events:,} | {med(r.cold)} | {med(r.unchanged)} | {med(r.edited)} | {peak:.0f} "
                     f"| {r.pages:,} | {r.site_mb:.1f} | {med(r.floor)} | {max(t.peak_mb for t in r.floor):.0f} "
                     f"| {med(r.cold, 'cpu')} | {'' if r.serve is None else f'{r.serve:.2f}'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
