"""`build.py import FORMAT FILE`: bring events in from other timeline tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..diagnostics import Report, format_report
from ..load import display_path, load_yaml_file
from ..scaffold import ScaffoldError, existing_event_ids, schema_line, write_new
from ..validate import validate_site_config
from . import timelinejs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `import timelinejs FILE` and its options."""
    formats = parser.add_subparsers(dest="format", metavar="FORMAT", required=True)
    tl = formats.add_parser("timelinejs", help="a TimelineJS JSON file or Google Sheets template CSV",
                            description="Convert a Knight Lab TimelineJS JSON file, or its Google Sheets template "
                                        "exported as CSV, into event files; groups and eras become tags.")
    tl.add_argument("file", metavar="FILE", help="timeline.json or the sheet exported as .csv")
    tl.add_argument("--source", default=".", metavar="DIR", help="folder holding content/ (default: .)")
    tl.add_argument("--timezone", metavar="ZONE", help="zone of the timeline's times (default: site.yaml timezone)")
    tl.add_argument("--dry-run", action="store_true", help="report what would be imported; write nothing")


def run(args: argparse.Namespace) -> int:
    """Import the file; exit 1 when some rows could not be converted, 2 when nothing could be read."""
    source = Path(args.source)
    content = source / "content"
    report = Report()
    doc, problem = load_yaml_file(content / "site.yaml")
    config = validate_site_config(doc, report) if problem is None else None
    if config is None or report.errors:
        if problem is not None:
            report.add(problem)
        print(format_report(report.sorted(), "text"), file=sys.stderr)
        print("build.py import: error: content/site.yaml must be valid first (events are checked against it)",
              file=sys.stderr)
        return 2
    if args.timezone:
        from dataclasses import replace
        config = replace(config, timezone=args.timezone)
    tags_path = content / "tags.yaml"
    tags_doc, _ = load_yaml_file(tags_path) if tags_path.is_file() else (None, None)
    try:
        slides = timelinejs.read_file(Path(args.file))
    except timelinejs.ImportError_ as exc:
        print(f"build.py import: error: {exc}", file=sys.stderr)
        return 2
    imported = timelinejs.convert(slides, config, timelinejs.existing_tags(tags_doc.data if tags_doc else None),
                                  existing_event_ids(content / "events"))
    written = 0 if args.dry_run else _write(content, tags_path, imported)
    shown = display_path(Path(args.file))
    for label, message in imported.problems:
        print(f"{shown} {label}: error: {message}", file=sys.stderr)
    for label, message in imported.notes:
        print(f"{shown} {label}: note: {message}", file=sys.stderr)
    verb = "would import" if args.dry_run else "imported"
    print(f"{verb} {len(imported.events)} events and {len(imported.tags)} new tags from {shown}"
          f"{f' into {display_path(content)}' if not args.dry_run else ''}; "
          f"{len(imported.problems)} could not be converted", file=sys.stderr)
    if not args.dry_run and written != len(imported.events):
        return 1
    return 1 if imported.problems else 0


def _write(content: Path, tags_path: Path, imported: timelinejs.Imported) -> int:
    written = 0
    for event_id, text in imported.events.items():
        path = content / "events" / f"{event_id}.yaml"
        try:
            write_new(path, schema_line(path, content.parent, "event") + text)
        except ScaffoldError as exc:
            imported.problems.append((event_id, str(exc)))
            continue
        print(display_path(path))
        written += 1
    addition = timelinejs.tags_yaml(imported.tags)
    if addition:
        old = tags_path.read_text(encoding="utf-8") if tags_path.is_file() else schema_line(
            tags_path, content.parent, "tags")
        if old and not old.endswith("\n"):
            old += "\n"
        tags_path.write_text(old + addition, encoding="utf-8")
        print(display_path(tags_path))
    return written
