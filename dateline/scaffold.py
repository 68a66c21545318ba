"""`build.py new event|source`: start a correct, minimal content file under a free id."""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from . import schema
from .dates import DateError, parse_date
from .load import display_path, load_yaml_file, read_text

MAX_SLUG = 60
DRAFT_SUMMARY = "Write what happened, in your own words. Quote sources under quotes: rather than here."


class ScaffoldError(Exception):
    """The requested file cannot be written as asked (exit status 2)."""


def slugify(text: str, limit: int = MAX_SLUG) -> str:
    """Turn a title into an id fragment: lowercase ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower().replace("'", "").replace("’", ""))
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or (words[0][:limit] if words else "")


def free_id(base: str, taken: set[str]) -> str:
    """Return base, or base-2, base-3... whichever no file or alias uses yet."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def scalar(value: Any) -> str:
    """Render one value as a YAML flow scalar or list, quoted only when YAML needs it."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...")


def block(text: str) -> str:
    """Render multi-line text as a literal block scalar."""
    lines = text.strip().splitlines() or [""]
    return "|\n" + "".join(f"  {line}\n" if line.strip() else "\n" for line in lines)


def schema_line(target: Path, source: Path, kind: str) -> str:
    """Return the editors' `$schema` comment when the site has schema files, else ''."""
    schema_file = source / "schema" / f"{kind}.schema.json"
    if not schema_file.is_file():
        return ""
    rel = Path(os.path.relpath(schema_file.resolve(), target.parent.resolve())).as_posix()
    return f"# yaml-language-server: $schema={rel}\n"


def event_text(title: str, date: str, tags: list[str], sources: list[str], summary: str | None) -> str:
    """Compose a minimal event file; without a summary it is a draft with a placeholder."""
    lines = [f"date: {date}", f"title: {scalar(title)}", "summary: " + block(summary or DRAFT_SUMMARY).rstrip("\n")]
    if tags:
        lines.append(f"tags: {scalar(tags)}")
    if sources:
        lines.append(f"sources: {scalar(sources)}")
    if not summary:
        lines.append("status: draft  # delete this line when the event is ready to publish")
    return "\n".join(lines) + "\n"


def source_text(fields: dict[str, str]) -> str:
    """Compose a minimal source file from the given fields, in the schema's key order."""
    # Dates are written bare, as in hand-written files; the loader keeps them as text.
    lines = [f"{key}: {fields[key] if schema.SOURCE[key].kind == 'date' else scalar(fields[key])}"
             for key in schema.SOURCE if fields.get(key)]
    if not fields.get("archive_url") and fields.get("url"):
        lines.append("# archive_url: save the page at https://web.archive.org/save and put the copy's address here")
    return "\n".join(lines) + "\n"


def existing_event_ids(events_dir: Path) -> set[str]:
    """Return every id in use by an event file or kept alive by an alias."""
    taken = {p.stem for p in events_dir.glob("*.yaml")} if events_dir.is_dir() else set()
    for path in sorted(events_dir.glob("*.yaml")) if events_dir.is_dir() else []:
        doc, _ = load_yaml_file(path)
        aliases = doc.data.get("aliases") if doc and isinstance(doc.data, dict) else None
        if isinstance(aliases, list):
            taken.update(a for a in aliases if isinstance(a, str))
    return taken


def known_ids(content: Path, kind: str) -> set[str] | None:
    """Return the ids of tags or sources, or None when they cannot be read."""
    if kind == "tags":
        doc, _ = load_yaml_file(content / "tags.yaml") if (content / "tags.yaml").is_file() else (None, None)
        return set(doc.data) if doc and isinstance(doc.data, dict) else None
    folder = content / "sources"
    return {p.stem for p in folder.glob("*.yaml")} if folder.is_dir() else set()


def check_refs(ids: list[str], known: set[str] | None, what: str, where: str) -> None:
    """Refuse ids that are malformed or unknown, suggesting the nearest known one."""
    for ref in ids:
        if not schema.ID_RE.match(ref):
            raise ScaffoldError(f"'{ref}' is not a valid {what} id ({schema.ID_HINT})")
        if known is not None and ref not in known:
            hint = schema.did_you_mean(ref, sorted(known))
            raise ScaffoldError(f"{what} '{ref}' is not in {where}" + (f"; {hint}" if hint else ""))


def write_new(path: Path, text: str) -> None:
    """Create the file, refusing to replace anything that exists (even one created meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise ScaffoldError(f"{display_path(path)} already exists; it was not changed") from None


def new_event(source: Path, title: str, date: str, tags: list[str], sources: list[str],
              summary: str | None, event_id: str | None) -> Path:
    """Write a new event file and return its path."""
    title = " ".join(title.split())
    if not title:
        raise ScaffoldError("the title is empty")
    try:
        when = parse_date(date)
    except DateError as exc:
        raise ScaffoldError(f"--date {date}: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")) from None
    content = source / "content"
    check_refs(tags, known_ids(content, "tags"), "tag", "content/tags.yaml")
    check_refs(sources, known_ids(content, "sources"), "source", "content/sources/")
    events_dir = content / "events"
    if event_id is not None:
        check_refs([event_id], None, "event", "")
        base = event_id
    else:
        day = when.iso[:10]
        slug = slugify(title)
        base = f"{day}-{slug}" if slug else f"{day}-event"
    taken = existing_event_ids(events_dir)
    if event_id is not None and event_id in taken:
        raise ScaffoldError(f"event id '{event_id}' is already used by a file or an alias")
    path = events_dir / f"{free_id(base, taken)}.yaml"
    write_new(path, schema_line(path, source, "event") + event_text(title, when.iso, tags, sources, summary))
    return path


def new_source(source: Path, args: argparse.Namespace) -> tuple[Path, Path | None]:
    """Write a new source file (and its sibling .txt) and return their paths."""
    fields = {"title": " ".join(args.title.split()), "publisher": args.publisher or "", "author": args.author or "",
              "url": args.url or "", "archive_url": args.archive_url or "", "language": args.language or ""}
    if not fields["title"]:
        raise ScaffoldError("the title is empty")
    for key in ("url", "archive_url"):
        if fields[key] and not schema.URL_RE.match(fields[key]):
            raise ScaffoldError(f"--{key.replace('_', '-')} {fields[key]}: not an http(s) URL")
    for key in ("published", "accessed"):
        value = getattr(args, key)
        if value:
            try:
                fields[key] = parse_date(value).iso
            except DateError as exc:
                raise ScaffoldError(f"--{key} {value}: {exc.message}") from None
    text = None
    if args.text_file:
        text, problem = read_text(Path(args.text_file), args.text_file)
        if problem is not None:
            raise ScaffoldError(f"--text-file {problem.file}: {problem.message}")
    folder = source / "content" / "sources"
    if args.id:
        check_refs([args.id], None, "source", "")
        base = args.id
    else:
        parts = [slugify(fields["publisher"], 20), fields.get("published", "")[:10], slugify(fields["title"], 40)]
        base = "-".join(p for p in parts if p) or "source"
    taken = {p.stem for p in folder.glob("*") if p.suffix in (".yaml", ".txt")} if folder.is_dir() else set()
    if args.id and args.id in taken:
        raise ScaffoldError(f"source id '{args.id}' is already used")
    source_id = free_id(base, taken)
    path = folder / f"{source_id}.yaml"
    text_path = folder / f"{source_id}.txt" if text is not None else None
    if text_path is not None:
        write_new(text_path, text if text.endswith("\n") else text + "\n")
    write_new(path, schema_line(path, source, "source") + source_text(fields))
    return path, text_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `new event` and `new source` with their options."""
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    event = kinds.add_parser("event", help="start an event file", description="Start a new event file.")
    event.add_argument("title", help="the event's headline")
    event.add_argument("--date", required=True, help="YYYY, YYYY-MM, YYYY-MM-DD or 2022-01-14T14:41+09:00")
    event.add_argument("--tags", nargs="+", action="extend", default=[], metavar="ID",
                       help="tag ids from tags.yaml (space- or comma-separated)")
    event.add_argument("--sources", nargs="+", action="extend", default=[], metavar="ID",
                       help="ids of sources cited (space- or comma-separated)")
    event.add_argument("--summary", help="the summary (without it the event starts as a draft)")
    event.add_argument("--id", help="the id to use instead of one made from the date and title")
    src = kinds.add_parser("source", help="start a source file", description="Start a new source file.")
    src.add_argument("--title", required=True, help="title of the article or document")
    src.add_argument("--url", help="where it is online")
    src.add_argument("--publisher", help="who published it")
    src.add_argument("--author", help="who wrote it")
    src.add_argument("--published", metavar="DATE", help="publication date")
    src.add_argument("--accessed", metavar="DATE", help="when it was read (default: today)")
    src.add_argument("--archive-url", metavar="URL", help="an archived copy")
    src.add_argument("--language", help="language code, e.g. en")
    src.add_argument("--text-file", metavar="FILE", help="the article text, stored beside it to verify quotes")
    src.add_argument("--id", help="the id to use instead of one made from publisher, date and title")
    for p in (event, src):
        p.add_argument("--source", dest="site", default=".", metavar="DIR",
                       help="folder holding content/ (default: .)")


def run(args: argparse.Namespace) -> int:
    """Write the new file, print its path and return 0; explain and return 2 when it cannot."""
    site = Path(args.site)
    if not (site / "content").is_dir():
        print(f"build.py new: error: --source {args.site}: there is no content/ folder in it", file=sys.stderr)
        return 2
    try:
        if args.kind == "event":
            path = new_event(site, args.title, args.date, _ids(args.tags), _ids(args.sources), args.summary, args.id)
            print(display_path(path))
            return 0
        if not args.accessed:
            args.accessed = datetime.date.today().isoformat()
        path, text_path = new_source(site, args)
    except ScaffoldError as exc:
        print(f"build.py new {args.kind}: error: {exc}", file=sys.stderr)
        return 2
    print(display_path(path))
    if text_path is not None:
        print(display_path(text_path))
    elif args.url:
        print("note: no --text-file, so quotes from this source cannot be verified", file=sys.stderr)
    return 0


def _ids(values: list[str]) -> list[str]:
    return list(dict.fromkeys(part.strip() for value in values for part in value.split(",") if part.strip()))

