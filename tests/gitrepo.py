"""A throwaway git repository whose commits have fixed authors and dates, for history and review tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Isolated from the machine's git configuration, so hooks, signing or templates cannot interfere.
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Analyst",
    "GIT_AUTHOR_EMAIL": "analyst@example.org", "GIT_COMMITTER_NAME": "Editor",
    "GIT_COMMITTER_EMAIL": "editor@example.org", "GIT_TERMINAL_PROMPT": "0",
}


class Repo:
    """A git work tree at `root`; `commit` stages everything and records it at a given time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, when: str = "2022-01-01T00:00:00+00:00", input: str | None = None) -> str:
        env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        result = subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True, input=input)
        assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
        return result.stdout

    def write(self, rel: str, text: str | None) -> None:
        """Write a file (or delete it, for None)."""
        path = self.root / rel
        if text is None:
            path.unlink()
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def edit(self, rel: str, old: str, new: str) -> None:
        """Replace text in a file, failing when the text is not there."""
        path = self.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def commit(self, message: str, when: str) -> str:
        """Stage every change and commit it at `when`; return the commit hash."""
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "-m", message, when=when)
        return self.git("rev-parse", "HEAD").strip()
