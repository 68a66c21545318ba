"""Live reload in a real browser: an open page follows saves by itself, overlay included."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, make_site
from serving import Served
from test_serve import EVENT

pytestmark = pytest.mark.browser

AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_OVERLAY = """async () => {
  const result = await axe.run('#dateline-overlay', {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
  return result.violations.map(v => v.id + ': ' + v.help);
}"""


def test_an_open_page_reloads_by_itself_after_each_save(browser, tmp_path: Path) -> None:
    served = Served(make_site(tmp_path / "src"))
    context = None
    try:
        context = browser.new_context()
        page = context.new_page()
        # Edit only once livereload.js has introduced itself, or the reload could be sent to nobody.
        with page.expect_websocket() as socket_info:
            page.goto(f"{served.origin}{served.mount}events/2019-first-test/")
        socket_info.value.wait_for_event("framesent", lambda payload: '"info"' in str(payload), timeout=15_000)
        heading = page.locator("h1")
        assert "First test of the Iskander-like missile" in heading.inner_text()
        page.evaluate("window.dateline_test_before_reload = true")

        event = served.source / EVENT
        good = event.read_text(encoding="utf-8")
        event.write_text(good.replace("First test", "Maiden test"), encoding="utf-8")
        page.wait_for_function("document.querySelector('h1').textContent.includes('Maiden test')", timeout=15_000)
        assert page.evaluate("window.dateline_test_before_reload") is None  # a new page, not an edited one

        event.write_text(good.replace("title:", "title: [unclosed"), encoding="utf-8")
        overlay = page.get_by_role("alert")
        overlay.wait_for(timeout=15_000)
        assert "error[yaml-syntax]" in overlay.inner_text()
        assert "Maiden test" in heading.inner_text()  # the last good page, under the overlay
        if AXE_JS.is_file():  # (npm ci installs it; the site-quality suite says so when it is missing)
            page.add_script_tag(path=str(AXE_JS))
            assert page.evaluate(AXE_OVERLAY) == []

        event.write_text(good.replace("First test", "Fixed test"), encoding="utf-8")
        page.wait_for_function("document.querySelector('h1').textContent.includes('Fixed test')", timeout=15_000)
        assert page.locator("#dateline-overlay").count() == 0
    finally:
        if context is not None:
            context.close()
        assert served.stop() == 0, served.log
