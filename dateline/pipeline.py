"""Compose the stages: load → validate → plan → render → write (incrementally: Builder)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from . import exports
from .diagnostics import Report
from .history import history_for
from .incremental import Build, Builder  # noqa: F401  (serve's rebuilds, from the same stages)
from .load import load_content, load_static, report_replaced_static
from .markup import MarkdownRenderer
from .model import Site
from .output import write_site
from .pages import plan_pages
from .render import TemplateProblem, make_environment, render_pages, template_dirs
from .validate import QuoteVerifier, validate_content


def check_site(source: Path, *, drafts: bool = False, base_url: str | None = None,
               verifier: QuoteVerifier | None = None) -> tuple[Site | None, Report]:
    """Load and validate a site's content; write nothing."""
    raw = load_content(source / "content")
    site, report = validate_content(raw, drafts=drafts, verify=verifier)
    if site is not None and base_url:
        site = replace(site, config=replace(site.config, base_url=base_url))
    return site, report


def render_site(site: Site, source: Path, report: Report,
                markdown: MarkdownRenderer | None = None) -> dict[str, bytes] | None:
    """Render every page, data file and asset to bytes keyed by output path."""
    dirs = template_dirs(source)
    env = make_environment(dirs, site, markdown)
    try:
        files = render_pages(plan_pages(site), env)
        files.update(exports.render_exports(site, env, files))
    except TemplateProblem as problem:
        report.add(problem.diagnostic)
        return None
    static = load_static(dirs, source / "content", report)
    report_replaced_static(static, files, source / "content", report)
    for rel, data in static.items():
        files.setdefault(rel, data)
    return None if report.errors else files


def build_site(source: Path, out: Path, *, drafts: bool = False, base_url: str | None = None,
               strict: bool = False) -> tuple[Report, dict[str, bytes] | None]:
    """Check, render and atomically write a site; write nothing if anything is wrong."""
    site, report = check_site(source, drafts=drafts, base_url=base_url)
    if site is None or (strict and report.warnings):
        return report, None
    site = replace(site, history=history_for(site, source / "content"))
    files = render_site(site, source, report)
    if files is None:
        return report, None
    write_site(files, out)
    return report, files
