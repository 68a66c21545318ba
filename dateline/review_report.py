"""Render a review (dateline.review) as Markdown for a pull request comment or a job summary."""

from __future__ import annotations

import difflib
import re
from typing import Any

from .diagnostics import summarise
from .review import MISSING, EventChange, FieldDiff, QuoteCheck, Review, SourceChange

PAGES_SHOWN = 40
PROBLEMS_SHOWN = 100
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
_MARKS = {"verified": "✓", "misquote": "✗", "error": "✗", "unverified": "⚠", "unchecked": "–"}


def render_review(review: Review, site_url: str | None = None) -> str:
    """Return the whole report as Markdown."""
    head = review.head.report
    short = review.base_commit[:7]
    commit = f" ({short})" if short and not review.base_commit.startswith(review.base.label) else ""
    label = review.base.label.replace("`", "'")
    lines = ["## Dateline review", "", f"Comparing `{label}`{commit} with this change.", ""]
    if head.errors:
        lines.append(f"**✗ {summarise(head.items)}.** The errors must be fixed before merging; see Problems below.")
    else:
        lines.append(f"**✓ No errors** ({summarise(head.items)}).")
    lines.append("")
    lines += _events_section(review.events)
    lines += _quotes_section(review.quotes)
    lines += _sources_section(review.sources)
    lines += _pages_section(review, site_url)
    lines += _problems_section(review)
    return "\n".join(lines).rstrip("\n") + "\n"


def md(text: Any) -> str:
    """Escape text for Markdown, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _events_section(events: list[EventChange]) -> list[str]:
    lines = ["### Events", ""]
    if not events:
        return lines + ["No event was added, changed or removed.", ""]
    for kind, heading in (("added", "Added"), ("renamed", "Renamed"), ("changed", "Changed"), ("removed", "Removed")):
        group = [c for c in events if c.kind == kind]
        if not group:
            continue
        lines.append(f"**{heading} ({len(group)})**")
        lines.append("")
        for change in group:
            lines += _event_lines(change)
        lines.append("")
    return lines


def _event_lines(change: EventChange) -> list[str]:
    draft = " *(draft: not published)*" if change.draft else ""
    what = f"{md(change.title)} ({md(change.date)})"
    if change.kind == "renamed":
        lines = [f"- `{change.old_id}` → `{change.id}`: {what}{draft}. "
                 f"✓ The old address /events/{change.old_id}/ redirects here (alias)."]
    elif change.kind == "removed":
        if change.link_kept:
            fate = f"✓ /events/{change.id}/ redirects to `{change.replacement}` (alias)."
        elif change.replacement:
            fate = (f"⚠ /events/{change.id}/ will stop working. If `{change.replacement}` replaces it, add "
                    f"`aliases: [{change.id}]` to that event.")
        else:
            fate = (f"⚠ /events/{change.id}/ will stop working. Consider `status: retracted` instead, which keeps "
                    "the page with a notice.")
        return [f"- `{change.id}`: {what}. {fate}"]
    else:
        lines = [f"- `{change.id}`: {what}{draft}"]
    for diff in change.diffs:
        lines += ["  " + line for line in _diff_lines(diff)]
    return lines


def _diff_lines(diff: FieldDiff) -> list[str]:
    name = f"`{diff.path}`"
    old, new = diff.old, diff.new
    if old is MISSING:
        return [f"- {name} added: {_show(new)}"]
    if new is MISSING:
        return [f"- {name} removed: {_show(old)}"]
    if isinstance(old, list) and isinstance(new, list):
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        parts = ([f"added {', '.join(_show(v) for v in added)}"] if added else []) + \
                ([f"removed {', '.join(_show(v) for v in removed)}"] if removed else [])
        return [f"- {name}: {'; '.join(parts) or 'reordered'}"]
    if _is_long(old) or _is_long(new):
        diff_text = difflib.unified_diff(str(old).splitlines(), str(new).splitlines(), "before", "after", lineterm="")
        body = [line.replace("```", "'''") for line in list(diff_text)[2:]]
        return [f"- {name} changed:", "", "  ```diff", *("  " + line for line in body), "  ```", ""]
    return [f"- {name}: {_show(old)} → {_show(new)}"]


def _is_long(value: Any) -> bool:
    return isinstance(value, str) and ("\n" in value.strip() or len(value) > 120)


def _show(value: Any) -> str:
    if value is MISSING or value is None:
        return "*(nothing)*"
    if isinstance(value, str):
        return f"“{md(_clip(value))}”"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{md(k)}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return md(value)


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quotes_section(quotes: list[QuoteCheck]) -> list[str]:
    lines = ["### Quotes", ""]
    if not quotes:
        return lines + ["No quote was added or changed.", ""]
    counts: dict[str, int] = {}
    for q in quotes:
        counts[q.outcome] = counts.get(q.outcome, 0) + 1
    lines += [", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) + ":", ""]
    for q in quotes:
        result = {"verified": "verified against the stored text", "unverified": "not verified",
                  "unchecked": "not checked"}.get(q.outcome, q.outcome)
        detail = "; ".join(md(m) for m in q.messages)
        if detail:
            detail = (" ⚠ " if q.outcome == "verified" else ": ") + detail
        lines.append(f"- {_MARKS[q.outcome]} `{q.event_id}` quote {q.number} (source `{md(q.source)}`): "
                     f"“{md(_clip(q.text, 300))}” — **{result}**{detail}")
    return lines + [""]


def _sources_section(sources: list[SourceChange]) -> list[str]:
    lines = ["### Sources", ""]
    if not sources:
        return lines + ["No source was added, changed or removed.", ""]
    for s in sources:
        line = f"- **{s.kind.capitalize()}** `{s.id}`: {md(s.title)}"
        if s.kind == "added":
            line += ". " + ("✓ archived copy" if s.has_archive else "⚠ no `archive_url`: save the page at "
                            "https://web.archive.org/save and add the copy's address")
            line += "; " + ("✓ stored text" if s.has_text else "⚠ no stored text, so its quotes cannot be verified")
        elif s.text_changed:
            line += " (stored text changed: its quotes were verified again, above)"
        lines.append(line)
    return lines + [""]


def _pages_section(review: Review, site_url: str | None) -> list[str]:
    lines = ["### Pages", ""]
    if review.pages is None:
        return lines + [f"Pages were {review.pages_note}.", ""]
    pages = review.pages
    total = sum(len(v) for v in pages.values())
    if review.pages_note:
        lines += [review.pages_note[0].upper() + review.pages_note[1:] + ".", ""]
    if not total:
        return lines + ["No page or data file changes.", ""]
    lines += [f"{len(pages['added'])} added, {len(pages['changed'])} changed, {len(pages['removed'])} removed, "
              "built from both sides and compared byte for byte:", ""]
    for kind in ("added", "changed", "removed"):
        urls = sorted((_url(p) for p in pages[kind]), key=lambda u: (not u.endswith("/"), u))
        if not urls:
            continue
        link = site_url if kind != "removed" else None
        shown = ", ".join(_page_link(u, link) for u in urls[:PAGES_SHOWN])
        more = f", and {len(urls) - PAGES_SHOWN} more" if len(urls) > PAGES_SHOWN else ""
        lines.append(f"- {kind.capitalize()}: {shown}{more}")
    return lines + [""]


def _url(path: str) -> str:
    return "/" + (path[: -len("index.html")] if path.endswith("index.html") else path)


def _page_link(url: str, site_url: str | None) -> str:
    return f"[{url}]({site_url.rstrip('/')}{url})" if site_url else f"`{url}`"


def _problems_section(review: Review) -> list[str]:
    """List every error, and the warnings of the files this change touches."""
    items = review.head.report.sorted()
    lines = ["### Problems", ""]
    shown = [d for d in items if d.is_error or d.file in review.touched]
    others = len(items) - len(shown)
    if not shown:
        lines.append("None in the files this change touches." if others else
                     "None: every file is valid and every quote checks out.")
    else:
        shown.sort(key=lambda d: (not d.is_error, d.file, d.line, d.column))
        lines += ["```text", *(d.format_text().replace("```", "'''") for d in shown[:PROBLEMS_SHOWN]), "```"]
        if len(shown) > PROBLEMS_SHOWN:
            lines.append(f"… and {len(shown) - PROBLEMS_SHOWN} more; run `python build.py check` to see them all.")
    if others:
        lines += ["", f"{others} other warning{'s' * (others != 1)} in files this change does not touch "
                      "(`python build.py check` lists them)."]
    return lines + [""]
