"""build.py serve as a user runs it: a subprocess on a free port, fetched over HTTP while files change."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Callable, Iterator

import pytest

from conftest import make_site, run_cli
from dateline.diagnostics import Diagnostic
from dateline.serve import inject_overlay, render_overlay
from serving import Served

EVENT = "content/events/2019-first-test.yaml"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `build.py serve` on copies of the mini site; every server is stopped after the test."""
    started: list[Served] = []

    def start(*extra: str, files: dict[str, str | bytes | None] | None = None) -> Served:
        source = make_site(tmp_path / f"site-{len(started)}", files=files)
        started.append(Served(source, *extra))
        return started[-1]

    yield start
    for served in started:
        served.stop()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_serves_the_site_under_its_path_with_the_reload_script(serve) -> None:
    served = serve()
    assert served.mount == "/mini/"
    status, home = served.get("/")  # redirected to /mini/
    assert status == 200 and "<title>Mini timeline</title>" in home
    assert "livereload.js" in home
    status, event = served.get("/mini/events/2019-first-test")  # redirected to the folder
    assert status == 200 and "First test of the Iskander-like missile" in event
    status, missing = served.get("/mini/events/no-such-event/")
    assert status == 404 and "livereload.js" in missing
    assert served.get("/elsewhere/")[0] == 404
    assert served.get("/mini/../../etc/passwd")[0] == 404
    assert "2022-01-draft" not in home
    assert served.stop() == 0, served.log


def test_drafts_are_served_when_asked(serve) -> None:
    served = serve("--drafts")
    assert served.get("/mini/events/2022-01-draft/")[0] == 200


def test_edits_new_files_deletions_and_renames_show_up(serve) -> None:
    served = serve()
    event = served.source / EVENT
    write(event, event.read_text(encoding="utf-8").replace("First test", "Maiden test"))
    served.wait_for("the edited title is served",
                    lambda: "Maiden test of the Iskander-like missile" in served.page("events/2019-first-test/"))

    write(served.source / "content/events/2022-01-17-airport.yaml",
          "date: 2022-01-17\ntitle: Two missiles from Pyongyang airport\nsummary: Fired from the airport.\n")
    served.wait_for("the new event has a page",
                    lambda: served.get("/mini/events/2022-01-17-airport/")[0] == 200)
    assert "Two missiles from Pyongyang airport" in served.page()

    event.rename(served.source / "content/events/2019-05-04-first-test.yaml")
    served.wait_for("the renamed event moves",
                    lambda: served.get("/mini/events/2019-05-04-first-test/")[0] == 200)
    assert served.get("/mini/events/2019-first-test/")[0] == 404

    (served.source / "content/events/2022-01-17-airport.yaml").unlink()
    served.wait_for("the deleted event's page is gone",
                    lambda: served.get("/mini/events/2022-01-17-airport/")[0] == 404)
    assert "Pyongyang airport" not in served.page()


def test_static_assets_are_served_and_follow_edits(serve) -> None:
    served = serve(files={"content/static/notes/hello.txt": "hello\n", "templates/static/extra.css": "p{}\n"})
    assert served.get("/mini/notes/hello.txt") == (200, "hello\n")
    assert served.get("/mini/static/extra.css") == (200, "p{}\n")
    write(served.source / "content/static/notes/hello.txt", "hello again\n")
    write(served.source / "templates/static/extra.css", "p{color:red}\n")
    served.wait_for("the new asset bytes are served", lambda: served.get("/mini/notes/hello.txt")[1] == "hello again\n"
                    and served.get("/mini/static/extra.css")[1] == "p{color:red}\n")


def test_an_error_shows_an_overlay_on_every_page_until_fixed(serve) -> None:
    served = serve()
    event = served.source / EVENT
    good = event.read_text(encoding="utf-8")
    write(event, good.replace("tags: [ballistic]", "tags: [ballistic, <img src=x onerror=alert(1)>]"))
    served.wait_for("the overlay appears", lambda: 'id="dateline-overlay"' in served.page())
    for rel in ("", "events/2019-first-test/", "tags/", "no/such/page/"):
        page = served.page(rel)
        assert 'role="alert"' in page, rel
        assert f"{Path(EVENT).name}:5:" in page
        assert ": error[" in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    assert "First test of the Iskander-like missile" in served.page("events/2019-first-test/")  # last good site
    assert f"{Path(EVENT).name}:5:" in served.log

    write(event, good.replace("First test", "Fixed test"))
    served.wait_for("the overlay goes", lambda: "dateline-overlay" not in served.page())
    assert "Fixed test of the Iskander-like missile" in served.page("events/2019-first-test/")


def test_broken_yaml_and_broken_templates_never_stop_the_server(serve) -> None:
    served = serve(files={"templates/event.html": '{% extends "base.html" %}{% block content %}'
                                                  '<h1>{{ event.title }}</h1>{% endblock %}'})
    template = served.source / "templates/event.html"
    good = template.read_text(encoding="utf-8")
    write(template, good.replace("{% endblock %}", "{% endblok %}"))
    served.wait_for("the template error shows", lambda: "error[template-syntax]" in served.page())
    assert "templates/event.html:1:" in served.page()
    write(template, good)
    served.wait_for("the template error goes", lambda: "dateline-overlay" not in served.page())

    event = served.source / EVENT
    write(event, "date: 2019\ntitle: [unclosed\n")
    served.wait_for("the YAML error shows", lambda: "error[yaml-syntax]" in served.page())
    write(event, "\x00binary")
    served.wait_for("the binary-file error shows", lambda: "binary" in served.page())
    (served.source / "content/site.yaml").write_text("title: [", encoding="utf-8")
    served.wait_for("the site.yaml error shows", lambda: "site.yaml:1:" in served.page())
    make_site(served.source)  # put every file back
    served.wait_for("all errors are gone", lambda: "dateline-overlay" not in served.page())
    assert served.get("/mini/events/2019-first-test/")[0] == 200
    assert served.stop() == 0, served.log


def test_a_site_that_starts_broken_is_served_once_fixed(serve) -> None:
    served = serve(files={EVENT: "date: 2019\ntitle: [unclosed\n"})
    status, page = served.get("/mini/")
    assert status == 404 and "error[yaml-syntax]" in page
    make_site(served.source)
    served.wait_for("the site appears", lambda: served.get("/mini/")[0] == 200)
    assert "dateline-overlay" not in served.page()


def test_a_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    source = make_site(tmp_path / "src")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--source", str(source), "--port", str(port), timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert f"port {port}" in result.stderr and "in use" in result.stderr


def test_a_bad_source_or_port_is_a_usage_error(tmp_path: Path) -> None:
    assert run_cli("serve", "--source", str(tmp_path / "nowhere")).returncode == 2
    result = run_cli("serve", "--source", str(make_site(tmp_path / "src")), "--port", "70000")
    assert result.returncode == 2 and "--port 70000" in result.stderr


def test_build_output_never_contains_the_reload_script(tmp_path: Path) -> None:
    source = make_site(tmp_path / "src")
    assert run_cli("build", "--source", str(source)).returncode == 0
    for path in (source / "site").rglob("*"):
        if path.is_file():
            assert b"livereload" not in path.read_bytes(), path
            assert b"dateline-overlay" not in path.read_bytes(), path


def test_the_overlay_escapes_everything_and_goes_first_in_the_body() -> None:
    problem = Diagnostic("content/events/<x>.yaml", 3, 7, "error", "bad&code", "msg <b>", "hint \"<i>\"")
    overlay = render_overlay([problem])
    assert "content/events/&lt;x&gt;.yaml:3:7" in overlay
    assert "bad&amp;code" in overlay and "msg &lt;b&gt;" in overlay and "hint &quot;&lt;i&gt;&quot;" in overlay
    assert "1 error<" in overlay
    page = b'<html><head></head><body class="x"><main>hi</main></body></html>'
    injected = inject_overlay(page, overlay.encode())
    assert injected.startswith(b'<html><head></head><body class="x"><section id="dateline-overlay"')
    assert inject_overlay(page, b"") == page
    many = render_overlay([problem] * 30)
    assert many.count("<li") == 21 and "10 more" in many


def test_a_templates_folder_made_while_serving_is_watched(serve) -> None:
    served = serve()
    override = served.source / "templates/404.html"
    write(override, '<!DOCTYPE html><html lang="en"><head><title>Lost</title></head><body>Lost 1</body></html>\n')
    served.wait_for("the new override is used", lambda: "Lost 1" in served.get("/mini/nowhere/")[1])
    write(override, '<!DOCTYPE html><html lang="en"><head><title>Lost</title></head><body>Lost 2</body></html>\n')
    served.wait_for("its edits are seen", lambda: "Lost 2" in served.get("/mini/nowhere/")[1])
