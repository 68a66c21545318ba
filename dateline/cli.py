"""The command line: parse arguments, run a pipeline, print diagnostics, return an exit code."""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import sys
import time
from pathlib import Path
from typing import Callable

from .diagnostics import Report, format_report, summarise
from .output import OutputError, check_output_dir
from .cache import BuildCache
from .checking import check_folder
from .pipeline import build_site
from .rebuild import build_cached

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2
REPO_ROOT = Path(__file__).resolve().parent.parent

# Commands that live in their own modules; each has add_arguments(parser) and run(args) -> int.
EXTRA_COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("dateline.serve", "build, serve and live-reload the site while you edit"),
    "schema": ("dateline.editor_schema", "write the JSON Schemas editors use to check content as you type"),
    "new": ("dateline.scaffold", "start a new event or source file under a free id"),
    "review": ("dateline.review", "compare the content with a git revision and print a Markdown review"),
    "import": ("dateline.importers", "convert a timeline from another tool (TimelineJS) into event files"),
}


class UsageError(Exception):
    """The command line asks for something impossible (exit status 2)."""


def add_source_arguments(parser: argparse.ArgumentParser, *, out: bool = True) -> None:
    """Add the --source/--out/--drafts options shared by build-like commands."""
    parser.add_argument("--source", default=".", metavar="DIR",
                        help="folder holding content/ and optionally templates/ (default: .)")
    if out:
        parser.add_argument("--out", metavar="DIR", help="output folder (default: <source>/site)")
    parser.add_argument("--drafts", action="store_true", help="include events with status: draft")


def source_dir(args: argparse.Namespace) -> Path:
    """Return the --source folder, checking that it holds content/."""
    source = Path(args.source)
    if not source.is_dir():
        raise UsageError(f"--source {args.source}: no such folder")
    if not (source / "content").is_dir():
        raise UsageError(f"--source {args.source}: there is no content/ folder in it")
    return source


def output_dir(args: argparse.Namespace, source: Path) -> Path:
    """Return the --out folder after refusing unsafe choices."""
    out = Path(args.out) if getattr(args, "out", None) else source / "site"
    try:
        check_output_dir(out, source, REPO_ROOT)
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    return out


def print_report(report: Report, fmt: str = "text", stream=None) -> None:
    """Print diagnostics: text to stderr, json/github to stdout."""
    items = report.sorted()
    if fmt == "text":
        if items:
            print(format_report(items, "text"), file=stream or sys.stderr)
    else:
        print(format_report(items, fmt), file=stream or sys.stdout)


def cmd_check(args: argparse.Namespace) -> int:
    """Validate content and verify quotes without writing anything."""
    source = source_dir(args)
    started = time.perf_counter()
    site, report = check_folder(source / "content", drafts=args.drafts)
    print_report(report, args.format)
    failed = bool(report.errors) or (args.strict and bool(report.warnings))
    if args.format == "text":
        events = len(site.events) if site else 0
        quotes = sum(len(e.quotes) for e in site.events) if site else 0
        what = f"{events} events, {quotes} quotes" if site else "content"
        verdict = "failed" if failed else "ok"
        print(f"check {verdict}: {what}; {summarise(report.items)} "
              f"({time.perf_counter() - started:.2f} s)", file=sys.stderr)
    return EXIT_CONTENT if failed else EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    """Check content, render the site and swap it into the output folder."""
    source = source_dir(args)
    out = output_dir(args, source)
    started = time.perf_counter()
    try:
        if args.no_cache:
            report, files = build_site(source, out, drafts=args.drafts, base_url=args.base_url, strict=args.strict)
        else:
            report, files = build_cached(source, out, BuildCache.for_output(out), drafts=args.drafts,
                                         base_url=args.base_url, strict=args.strict)
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    print_report(report)
    if files is None:
        reason = "warnings with --strict" if not report.errors else summarise(report.items)
        print(f"build failed: {reason}; {out} was not changed", file=sys.stderr)
        return EXIT_CONTENT
    pages = sum(1 for p in files if p.endswith(".html"))
    print(f"built {pages} pages, {len(files)} files into {out} "
          f"in {time.perf_counter() - started:.2f} s ({summarise(report.items)})", file=sys.stderr)
    return EXIT_OK


def make_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand (the options of `only`'s alone, when given)."""
    parser = argparse.ArgumentParser(
        prog="build.py", description="Dateline: build a static timeline site from curated event files.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build = sub.add_parser("build", help="check the content and write the site",
                           description="Check the content, render the site and replace the output folder.")
    add_source_arguments(build)
    build.add_argument("--base-url", metavar="URL", help="override site.yaml's base_url (e.g. for a preview)")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument("--no-cache", action="store_true",
                       help="ignore and leave alone the cache beside the output (.<out>.dateline-cache/)")
    build.set_defaults(func=cmd_build)

    check = sub.add_parser("check", help="validate content and verify quotes; write nothing",
                           description="Validate every content file and verify every quote; write nothing.")
    add_source_arguments(check, out=False)
    check.add_argument("--format", choices=("text", "json", "github"), default="text",
                       help="text (default), json, or github (Actions annotations)")
    check.add_argument("--strict", action="store_true", help="treat warnings (e.g. unverified quotes) as errors")
    check.set_defaults(func=cmd_check)

    for name, (module, help_text) in EXTRA_COMMANDS.items():
        if importlib.util.find_spec(module) is None:
            continue
        p = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        if only is not None and name != only:
            continue  # listed in the help, but its module (serve's web server, say) is not imported
        command = importlib.import_module(module)
        command.add_arguments(p)
        p.set_defaults(func=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    # A build makes millions of small objects that live until it ends and hold almost no cycles: with
    # the default thresholds the cyclic collector walks them over and over. `build` and `check` run
    # once, so their main process goes without it (its peak memory at 10,000 events is the same;
    # reading the cached checks back takes 0.2 s less); their workers, rendering page after page,
    # keep theirs (dateline.parallel). `serve` runs for hours and keeps a collector, rarely run.
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    gc.set_threshold(100_000, 50, 100)
    argv = sys.argv[1:] if argv is None else argv
    # Commands are the first argument: a build need not import the modules of the other commands.
    parser = make_parser(only=argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    if args.command in ("build", "check"):
        gc.disable()
    try:
        return func(args)
    except UsageError as exc:
        print(f"build.py {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        gc.set_threshold(*thresholds)
        if enabled:
            gc.enable()
