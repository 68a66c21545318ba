"""JSON Schemas for editors, generated from dateline.schema so they cannot drift from validation.

The files in schema/ are draft-07 (what editors' YAML plugins support) and are
referenced from content files by a first line such as
`# yaml-language-server: $schema=../../schema/event.schema.json`. The event
schema includes the site's own `fields:` from content/site.yaml, so it is
regenerated whenever those change: `python build.py schema` (or
`python -m dateline.editor_schema`); `--check` only reports stale files.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from . import schema
from .diagnostics import Report, format_report
from .load import load_yaml_file
from .model import FieldDef
from .schema import Field
from .validate import validate_site_config

DRAFT = "http://json-schema.org/draft-07/schema#"
SCHEMA_FILES = ("event", "source", "tags", "site")

# The forms dateline.dates.parse_date accepts, for editors; impossible dates
# (30 February) and offsets out of range are left to `check`.
DATE_PATTERN = (r"^\s*[0-9]{4}(-[0-9]{2}(-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2})? ?"
                r"([Zz]|[-+\u2212][0-9]{2}(:?[0-9]{2})?))?)?)?\s*$")

# Field types of site.yaml `fields:` -> the schema kind their values are checked as.
_FIELD_KINDS = {"string": "text", "integer": "integer", "number": "number", "boolean": "boolean", "date": "date"}


def ecma_pattern(pattern: re.Pattern[str], *, strip: bool = False) -> str:
    r"""Translate an anchored Python regex (ending in \Z) into a JSON Schema pattern."""
    body = pattern.pattern.removesuffix(r"\Z")
    if pattern.flags & re.IGNORECASE:
        body = _case_insensitive(body)
    return rf"^\s*{body}\s*$" if strip else f"^{body}$"


def _case_insensitive(body: str) -> str:
    # JSON Schema patterns have no flags: spell each letter outside a class as [xX].
    out, in_class, i = [], False, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            out.append(body[i:i + 2])
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch.isalpha() and ch.isascii() and not in_class:
            ch = f"[{ch.lower()}{ch.upper()}]"
        out.append(ch)
        i += 1
    return "".join(out)


def field_schema(spec: Field, site_fields: tuple[FieldDef, ...] | None = None) -> dict[str, Any]:
    """Return the JSON Schema of one Field spec (details typed by the site's fields)."""
    out: dict[str, Any] = {"description": spec.description} if spec.description else {}
    kind = spec.kind
    if kind in ("text", "markdown"):
        # The validator accepts a bare number as text (title: 2022), so the editor must too.
        out["type"] = ["string", "number"]
    elif kind == "id":
        out.update(type="string", pattern=ecma_pattern(schema.ID_RE))
    elif kind == "date":
        out.update(type=["string", "integer"], pattern=DATE_PATTERN, minimum=1000, maximum=9999)
    elif kind == "url":
        out.update(type="string", pattern=ecma_pattern(schema.URL_RE, strip=True))
    elif kind in ("integer", "number"):
        # Beyond 2**53 JSON readers lose digits, so the validator refuses such numbers.
        out.update(type=kind, minimum=-schema.MAX_SAFE_INTEGER, maximum=schema.MAX_SAFE_INTEGER)
    elif kind == "boolean":
        out["type"] = kind
    elif kind == "scalar":
        out["type"] = ["string", "number", "boolean"]
    elif kind == "enum":
        out["enum"] = list(spec.choices)
    elif kind == "list":
        out.update(type="array", items=field_schema(spec.items, site_fields) if spec.items else {})
    elif kind == "object":
        out.update(object_schema(spec.fields or {}, site_fields))
    elif kind == "mapping":
        pattern = schema.FIELD_ID_RE if spec.field_keys else schema.ID_RE
        out.update(type="object", propertyNames={"pattern": ecma_pattern(pattern)},
                   additionalProperties=field_schema(spec.items, site_fields) if spec.items else {})
    elif kind == "details":
        out.update(details_schema(site_fields))
    else:  # pragma: no cover - a new kind must be taught here first
        raise ValueError(f"no JSON Schema for field kind {kind!r}")
    return out


def object_schema(fields: dict[str, Field], site_fields: tuple[FieldDef, ...] | None = None) -> dict[str, Any]:
    """Return the schema of a mapping with known keys; optional keys may be left empty (null)."""
    properties = {}
    for key, spec in fields.items():
        prop = field_schema(spec, site_fields)
        if spec.required and spec.kind in ("text", "markdown"):
            prop["pattern"] = r"\S"  # required text must say something
        properties[key] = prop if spec.required else _nullable(prop)
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    required = [key for key, spec in fields.items() if spec.required]
    if required:
        out["required"] = required
    return out


def details_schema(site_fields: tuple[FieldDef, ...] | None) -> dict[str, Any]:
    """Return the schema of an event's `details`: one typed property per site field."""
    if site_fields is None:
        return {"type": "object"}
    properties = {}
    for field in site_fields:
        prop = field_schema(Field(_FIELD_KINDS[field.type]))
        if field.values:
            prop = {"enum": list(field.values)}
        title = field.label + (f" ({field.unit})" if field.unit else "")
        described = {"title": title, "description": field.description} if field.description else {"title": title}
        properties[field.id] = _nullable({**described, **prop})
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    # The validator skips an optional key written with no value (`end_date:`).
    prop = dict(prop)
    if "enum" in prop:
        prop["enum"] = prop["enum"] + [None]
    elif isinstance(prop.get("type"), list):
        prop["type"] = prop["type"] + ["null"]
    elif "type" in prop:
        prop["type"] = [prop["type"], "null"]
    return prop


def document(title: str, body: dict[str, Any]) -> dict[str, Any]:
    """Wrap a schema body as a top-level draft-07 document."""
    return {"$schema": DRAFT, "title": title, **body}


def build_schemas(site_fields: tuple[FieldDef, ...] | None) -> dict[str, dict[str, Any]]:
    """Return the schema of each kind of content file, keyed by file name."""
    tags = field_schema(schema.TAGS)
    return {
        "event.schema.json": document(
            "Dateline event (content/events/<id>.yaml)", object_schema(schema.EVENT, site_fields)),
        "source.schema.json": document(
            "Dateline source (content/sources/<id>.yaml)", object_schema(schema.SOURCE)),
        "tags.schema.json": document("Dateline tags (content/tags.yaml)", tags),
        "site.schema.json": document("Dateline site settings (content/site.yaml)", object_schema(schema.SITE)),
    }


def render_schemas(site_fields: tuple[FieldDef, ...] | None) -> dict[str, str]:
    """Return each schema file's text: stable, indented JSON ending in a newline."""
    return {name: json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
            for name, doc in build_schemas(site_fields).items()}


def read_site_fields(content_dir: Path, report: Report) -> tuple[FieldDef, ...] | None:
    """Read the site's own fields from content/site.yaml with the validator's own rules."""
    doc, problem = load_yaml_file(content_dir / "site.yaml")
    if problem is not None:
        report.add(problem)
        return None
    config = validate_site_config(doc, report)
    return None if config is None or report.errors else config.fields


def stale_files(out: Path, texts: dict[str, str]) -> list[str]:
    """Return the schema files that are missing or differ from `texts`."""
    return [name for name, text in texts.items()
            if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the schema command's options."""
    parser.add_argument("--source", default=".", metavar="DIR", help="folder holding content/ (default: .)")
    parser.add_argument("--out", metavar="DIR", help="where the schema files go (default: <source>/schema)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a schema file is missing or out of date")


def run(args: argparse.Namespace) -> int:
    """Regenerate (or, with --check, verify) the editors' JSON Schema files."""
    source = Path(args.source)
    out = Path(args.out) if args.out else source / "schema"
    report = Report()
    fields = read_site_fields(source / "content", report)
    if fields is None:
        print(format_report(report.sorted(), "text"), file=sys.stderr)
        print("schema: fix content/site.yaml first; the event schema is built from its fields:", file=sys.stderr)
        return 1
    texts = render_schemas(fields)
    stale = stale_files(out, texts)
    if args.check:
        for name in stale:
            print(f"{out / name}: out of date; run: python build.py schema", file=sys.stderr)
        return 1 if stale else 0
    out.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (out / name).write_text(texts[name], encoding="utf-8")
    print(f"schema: {len(stale)} of {len(texts)} files updated in {out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run as `python -m dateline.editor_schema`."""
    parser = argparse.ArgumentParser(prog="python -m dateline.editor_schema", description=run.__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
