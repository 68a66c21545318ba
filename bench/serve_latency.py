#!/usr/bin/env python3
"""Time `build.py serve` from saving one event file to its rebuilt page: python bench/serve_latency.py [N].

Generates (or reuses) a corpus of N events (default 10,000) with bench/make_corpus.py, starts serve on
a free port, then edits one event's title --runs times. Each run is timed from the moment the file is
written to the moment the server answers with the new title (polled every 5 ms), so it counts the
watcher, the rebuild, the write and the HTTP round trip. Prints the median, the fastest and the
slowest, and serve's own report of each rebuild.
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--pause", type=float, default=1.5, help="seconds between edits (lets feeds catch up)")
    args = parser.parse_args()

    corpus = BENCH / "corpora" / f"serve-{args.events}"
    if not (corpus / "content").is_dir():
        subprocess.run([sys.executable, str(BENCH / "make_corpus.py"), str(args.events), str(corpus)], check=True)
    events = sorted((corpus / "content" / "events").glob("*.yaml"))
    target = next(p for p in events[len(events) // 2:] if "status: draft" not in p.read_text(encoding="utf-8"))
    original = target.read_text(encoding="utf-8")

    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--source", str(corpus), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True).start()  # type: ignore[arg-type]
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.search(r"at (http://\S+) ", line)
        if not match:
            print(f"serve did not start:\n{line}{''.join(log)}", file=sys.stderr)
            return 1
        url = f"{match.group(1)}events/{target.stem}/"
        print(f"{args.events} events: serving after {time.perf_counter() - started:.1f} s; editing {target.name}")
        time.sleep(args.pause)
        latencies = []
        for run in range(args.runs):
            marker = f"Latency probe {run}"
            text = re.sub(r"^title: ", f"title: {marker} ", original, count=1, flags=re.M)
            saved = time.perf_counter()
            target.write_text(text, encoding="utf-8")
            while marker not in fetch(url):
                if time.perf_counter() - saved > 60:
                    print(f"run {run}: the page did not change within 60 s", file=sys.stderr)
                    return 1
                time.sleep(0.005)
            latencies.append(time.perf_counter() - saved)
            time.sleep(args.pause)
        print(f"save -> rebuilt page served: median {statistics.median(latencies) * 1000:.0f} ms, "
              f"fastest {min(latencies) * 1000:.0f} ms, slowest {max(latencies) * 1000:.0f} ms "
              f"({args.runs} edits)")
        print("serve's own report:\n  " + "  ".join(line for line in log if line.startswith("built")))
    finally:
        target.write_text(original, encoding="utf-8")
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)  # it stops between rebuilds, and then removes its folder
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
