"""Diagnostics: every problem found in content, located and explained."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Iterable

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at a place in a file (line and column are 1-based)."""

    file: str
    line: int
    column: int
    severity: str
    code: str
    message: str
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def format_text(self) -> str:
        """Render as `path:line:col: error[code]: message` plus an indented hint."""
        head = f"{self.file}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"
        if self.hint:
            hint = self.hint.replace("\n", "\n    ")
            return f"{head}\n  = hint: {hint}"
        return head

    def format_github(self) -> str:
        """Render as a GitHub Actions workflow command."""
        kind = "error" if self.is_error else "warning"
        text = self.message + (f" (hint: {self.hint})" if self.hint else "")
        return (
            f"::{kind} file={_gh_property(self.file)},line={self.line},"
            f"col={self.column},title={_gh_property(self.code)}::{_gh_data(text)}"
        )


class Report:
    """An ordered collection of diagnostics with convenience constructors."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    def error(self, file: str, pos: tuple[int, int], code: str, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(file, pos[0], pos[1], ERROR, code, message, hint))

    def warning(self, file: str, pos: tuple[int, int], code: str, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(file, pos[0], pos[1], WARNING, code, message, hint))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if not d.is_error]

    def sorted(self) -> list[Diagnostic]:
        """Return the diagnostics in file, line, column order, without repeats."""
        return sorted(set(self.items))


def format_report(diagnostics: list[Diagnostic], fmt: str) -> str:
    """Render diagnostics as text, json or github annotations."""
    if fmt == "json":
        return json.dumps([asdict(d) for d in diagnostics], indent=2, ensure_ascii=False)
    if fmt == "github":
        return "\n".join(d.format_github() for d in diagnostics)
    return "\n".join(d.format_text() for d in diagnostics)


def summarise(diagnostics: list[Diagnostic]) -> str:
    """Return a one-line count such as '2 errors, 1 warning'."""
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")
