"""`build` and `check` check event files on every core, and `build` remembers each file's outcome: they
must report exactly what the single-process reference (`build --no-cache`) reports, on the first build
and on later ones, after the inputs of a remembered outcome (the file, a source it quotes, the site's
settings, the tags) change."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, generate_site

EVENTS = 300  # enough for the checks to be split over two worker processes


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATELINE_JOBS": "2"}
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], capture_output=True, text=True,
                          timeout=300, env=env)


def diagnostics(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The diagnostic lines (with their hints) a command printed, without its closing summary."""
    lines = result.stderr.splitlines()
    return [line for line in lines if not re.match(r"(check|build|built) ", line)]


def same_as_check(source: Path, out: Path) -> list[str]:
    """Build with the cache and assert it reports what `check` and an uncached build report; return the diagnostics.

    `check` shares the parallel checker with `build`; `build --no-cache` is the reference, one
    process through validate.validate_content.
    """
    built = run("build", "--source", str(source), "--out", str(out))
    checked = run("check", "--source", str(source))
    reference = run("build", "--no-cache", "--source", str(source), "--out", str(out.parent / "reference"))
    assert "Traceback" not in built.stderr + checked.stderr
    assert diagnostics(built) == diagnostics(reference) == diagnostics(checked)
    assert (built.returncode == 0) == (checked.returncode == 0) == (reference.returncode == 0)
    return diagnostics(built)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_site(tmp_path_factory.mktemp("checking") / "site", EVENTS)


def test_remembered_checks_follow_their_files_sources_settings_and_tags(corpus: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(corpus, source)
    out = tmp_path / "out"
    events = sorted((source / "content/events").glob("*.yaml"))
    first = same_as_check(source, out)
    assert not any("error[" in line for line in first)
    assert same_as_check(source, out) == first, "a second build remembers every file: same report"

    # One event's file: a quote that is no longer word for word.
    quoted = next(p for p in events if re.search(r'  - text: "(\w+)', p.read_text(encoding="utf-8")))
    text = quoted.read_text(encoding="utf-8")
    quote = re.search(r'  - text: "(\w+)', text)
    assert quote is not None
    quoted.write_text(text.replace(quote.group(0), quote.group(0).replace(quote.group(1), "Zzyzx"), 1),
                      encoding="utf-8")
    report = same_as_check(source, out)
    assert any(line.startswith(f"{quoted}:") and "error[misquote]" in line for line in report), report
    quoted.write_text(text, encoding="utf-8")
    assert same_as_check(source, out) == first

    # A source's text, which unchanged event files quote: their quotes no longer match it.
    texts = sorted((source / "content/sources").glob("*.txt"))
    cited = next(t for t in texts if any(t.stem in p.read_text(encoding="utf-8") for p in events))
    original = cited.read_text(encoding="utf-8")
    cited.write_text("Nothing of the article is left.\n", encoding="utf-8")
    report = same_as_check(source, out)
    assert any("error[misquote]" in line and cited.stem in line for line in report), report
    cited.write_text(original, encoding="utf-8")

    # The site's settings: a field the events use is no longer declared.
    site_yaml = source / "content/site.yaml"
    settings = site_yaml.read_text(encoding="utf-8")
    field = re.search(r"\n  (\w+):\n    type: string", settings)
    assert field is not None
    site_yaml.write_text(settings.replace(field.group(0), f"\n  {field.group(1)}_renamed:\n    type: string", 1),
                         encoding="utf-8")
    report = same_as_check(source, out)
    assert any("error[unknown-field]" in line for line in report), report
    site_yaml.write_text(settings, encoding="utf-8")

    # The tags: a tag that unchanged events use is gone, reported where each event lists it.
    tags_yaml = source / "content/tags.yaml"
    tags = tags_yaml.read_text(encoding="utf-8")
    used = next(m.group(1) for m in re.finditer(r"^([a-z0-9-]+):\n", tags, re.M)
                if any(re.search(rf"^tags: \[(.*, )?{m.group(1)}[],]", p.read_text(encoding="utf-8"), re.M)
                       for p in events))
    tags_yaml.write_text(re.sub(rf"^{used}:\n(  .*\n)+", "", tags, flags=re.M), encoding="utf-8")
    report = same_as_check(source, out)
    assert any("error[unknown-tag]" in line and f"'{used}'" in line for line in report), report
    tags_yaml.write_text(tags, encoding="utf-8")

    # A file that no longer parses, then parses again.
    broken = events[len(events) // 2]
    kept = broken.read_text(encoding="utf-8")
    broken.write_text(kept.replace("title:", "title: [unclosed", 1), encoding="utf-8")
    report = same_as_check(source, out)
    assert any(line.startswith(f"{broken}:") and "error[yaml-syntax]" in line for line in report), report
    broken.write_text(kept, encoding="utf-8")
    assert same_as_check(source, out) == first
