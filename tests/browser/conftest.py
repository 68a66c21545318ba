"""Fixtures for the browser suite: the built example site, a server for it, Chromium, vnu, axe.

The site is built once per session by running the real CLI, then served over
HTTP on 127.0.0.1 under the sub-path of its base_url, as a static host would.
Tools that may be missing (chromium, Java, node_modules) make the tests skip
locally with the command that installs them, and fail when CI=true.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness import Site, SiteServer, load_site

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VNU_JAR = REPO_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "test-artifacts"
DEFAULT_BASE_URL = "https://example.org/nk-missiles/"


def is_ci() -> bool:
    """Tell whether we run in CI, where a missing tool is a failure rather than a skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require(present: bool, what: str, how: str) -> None:
    """Skip (locally) or fail (in CI) when a tool the test needs is missing."""
    if present:
        return
    message = f"{what} is missing; install it with: {how}"
    if is_ci():
        pytest.fail(message + " (CI=true: missing tools fail the suite)", pytrace=False)
    pytest.skip(message)


def _base_url() -> str:
    site_yaml = REPO_ROOT / "content" / "site.yaml"
    if site_yaml.is_file():
        data = yaml.safe_load(site_yaml.read_text(encoding="utf-8")) or {}
        if data.get("base_url"):
            return str(data["base_url"])
    return DEFAULT_BASE_URL


@pytest.fixture(scope="session")
def built_site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the example site with the CLI, as a user would, into a temporary folder."""
    prebuilt = os.environ.get("DATELINE_TEST_SITE")
    if prebuilt:  # iterate on templates without rebuilding: point at a built site/
        return Path(prebuilt).resolve()
    out = tmp_path_factory.mktemp("browser") / "site"
    cmd = [sys.executable, "build.py", "build", "--source", str(REPO_ROOT), "--out", str(out)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd[1:])} exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}",
            pytrace=False,
        )
    return out


@pytest.fixture(scope="session")
def site(built_site_dir: Path) -> Site:
    """The built site and its list of pages (every index.html and 404.html)."""
    built = load_site(built_site_dir, _base_url())
    assert built.pages, f"the build wrote no index.html or 404.html under {built_site_dir}"
    return built


@pytest.fixture(scope="session")
def server(site: Site):
    """Serve the built site on 127.0.0.1 under its base URL's sub-path."""
    srv = SiteServer(site.root, site.mount).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session."""
    require(CHROMIUM.exists(), f"Chromium ({CHROMIUM})", "sudo apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def vnu() -> tuple[str, Path]:
    """The java executable and the Nu HTML Checker's jar."""
    java = shutil.which("java")
    require(java is not None, "Java", "sudo apt-get install default-jre-headless")
    require(VNU_JAR.is_file(), f"{VNU_JAR.relative_to(REPO_ROOT)}", "npm ci --ignore-scripts")
    return java, VNU_JAR


@pytest.fixture(scope="session")
def axe_js() -> Path:
    """axe-core's browser bundle."""
    require(AXE_JS.is_file(), f"{AXE_JS.relative_to(REPO_ROOT)}", "npm ci --ignore-scripts")
    return AXE_JS


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where screenshots are saved for a person to look at (gitignored)."""
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
