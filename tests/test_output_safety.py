"""Output safety: the build writes only its output folder, refuses dangerous ones, copies
content/static/ verbatim and never leaves a damaged site, even when killed mid-write."""

from __future__ import annotations

import os
import socket
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, make_site, run_cli, snapshot
from serving import Served
from dateline.output import OutputError, _clear_stale, safe_join, update_site, write_site


def tree(folder: Path) -> dict[str, bytes]:
    """Every file and link under folder (links as their target), to prove nothing changed."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = b"-> " + os.readlink(path).encode()
        elif path.is_file():
            out[rel] = path.read_bytes()
    return out


@pytest.mark.parametrize("out", [
    "{site}",                 # the source folder itself
    "{site}/.",
    "{site}/content",         # the content folder
    "{site}/content/site",    # inside content/
    "{site}/content/events",
    "{site}/templates",       # the templates folder
    "{site}/..",              # a parent of the source folder
    "{parent}",
    "/",                      # the filesystem root
    "{repo}",                 # the Dateline repository
    "{repo}/..",
    "{link}",                 # a link to the source folder
])
def test_dangerous_output_folders_are_refused(out: str, tmp_path: Path) -> None:
    site = make_site(tmp_path / "work" / "s")
    (site / "templates").mkdir()
    (site / "templates/404.html").write_text("{% extends 'base.html' %}")
    (tmp_path / "link").symlink_to(site)
    before = tree(tmp_path)
    target = out.format(site=site, parent=site.parent, repo=REPO, link=tmp_path / "link")
    result = run_cli("build", "--source", str(site), "--out", target)
    assert result.returncode == 2, result.stderr
    assert "refusing" in result.stderr and "Traceback" not in result.stderr
    assert tree(tmp_path) == before, "nothing was written, moved or deleted"


def test_output_beside_the_source_is_fine(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    result = run_cli("build", "--source", str(site), "--out", str(tmp_path / "public"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "public/index.html").is_file()
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".dateline-cache"))
    assert left == ["public", "s"], "no temporary folders left behind (the build cache may stay)"


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "a/../../x", "a\\..\\b", "a\x00b", "", "..", "a/..",
                                 "//etc/passwd"])
def test_safe_join_refuses_escapes(rel: str, tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        safe_join(tmp_path, rel)


def test_safe_join_accepts_plain_paths(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "events/x/index.html") == tmp_path / "events/x/index.html"
    assert safe_join(tmp_path, ".well-known/security.txt") == tmp_path / ".well-known/security.txt"
    # redundant separators and '.' are normalised away, and stay inside
    assert safe_join(tmp_path, "a//b") == safe_join(tmp_path, "./a/./b") == tmp_path / "a/b"


# --- content/static/ ---------------------------------------------------------------------------------

STATIC = {
    "content/static/CNAME": b"timeline.example.org\n",
    "content/static/.nojekyll": b"",
    "content/static/.well-known/security.txt": b"Contact: mailto:security@example.org\n",
    "content/static/images/map.png": bytes(range(256)) * 8,
    "content/static/downloads/notes v2 (final).txt": "Übersicht — ✓\r\n".encode("utf-8"),
    "content/static/_headers": b"/*\n  X-Frame-Options: DENY\n",
}


def test_static_files_are_copied_verbatim_dotfiles_included(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s", files=STATIC)
    result = run_cli("build", "--source", str(site))
    assert result.returncode == 0, result.stderr
    out = snapshot(site / "site")
    for rel, data in STATIC.items():
        assert out[rel.removeprefix("content/static/")] == data, rel
    # and they survive the next build, which replaces the whole folder
    (site / "content/events/2019-first-test.yaml").write_text(
        (site / "content/events/2019-first-test.yaml").read_text().replace("First test", "The first test"))
    assert run_cli("build", "--source", str(site)).returncode == 0
    assert (site / "site/CNAME").read_bytes() == STATIC["content/static/CNAME"]
    assert (site / "site/.nojekyll").exists()


def test_static_link_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s", files={"content/static/CNAME": "timeline.example.org\n"})
    secret = tmp_path / "secret.txt"
    secret.write_text("private key\n")
    (site / "content/static/key.txt").symlink_to(secret)
    result = run_cli("build", "--source", str(site), cwd=site)
    assert result.returncode == 1
    assert "content/static/key.txt:1:1: error[symlink-outside]" in result.stderr, result.stderr
    assert not (site / "site").exists()


def test_static_folder_linked_out_of_content_is_refused(tmp_path: Path) -> None:
    # A pull request can add a symbolic link; CI would then publish the runner's files.
    secrets = tmp_path / "home/.ssh"
    secrets.mkdir(parents=True)
    (secrets / "id_ed25519").write_text("PRIVATE KEY\n")
    site = make_site(tmp_path / "s")
    (site / "content/static").symlink_to(secrets)
    result = run_cli("build", "--source", str(site), cwd=site)
    assert result.returncode == 1
    assert "content/static:1:1: error[symlink-outside]" in result.stderr, result.stderr
    (site / "content/static").unlink()
    (site / "content/static").mkdir()
    (site / "content/static/keys").symlink_to(secrets)
    result = run_cli("build", "--source", str(site), cwd=site)
    assert result.returncode == 1
    assert "content/static/keys:1:1: error[symlink-outside]" in result.stderr, result.stderr
    assert not list(tmp_path.rglob("site/**/id_ed25519"))


def test_static_files_a_build_replaces_are_reported(tmp_path: Path) -> None:
    files = {"content/static/robots.txt": "User-agent: *\nDisallow: /\n",
             "content/static/static/dateline.css": "body { color: red }\n"}
    site = make_site(tmp_path / "s", files=files)
    result = run_cli("build", "--source", str(site), cwd=site)
    assert result.returncode == 0, result.stderr
    assert "content/static/robots.txt:1:1: warning[static-replaced]" in result.stderr, result.stderr
    assert "content/static/static/dateline.css:1:1: warning[static-replaced]" in result.stderr
    assert "Disallow" not in (site / "site/robots.txt").read_text()


def test_special_file_in_static_is_refused_not_read(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    (site / "content/static").mkdir()
    os.mkfifo(site / "content/static/pipe")
    result = run_cli("build", "--source", str(site), cwd=site, timeout=60)
    assert result.returncode == 1
    assert "content/static/pipe:1:1: error[not-a-file]" in result.stderr, result.stderr


# --- An interrupted build leaves the previous site complete ------------------------------------------

def _big_site(root: Path, events: int) -> Path:
    site = make_site(root)
    folder = site / "content/events"
    for i in range(events):
        day = 1 + i % 28
        (folder / f"2020-{1 + i // 28 % 12:02d}-{day:02d}-generated-{i}.yaml").write_text(
            f"date: 2020-{1 + i // 28 % 12:02d}-{day:02d}\ntitle: Generated event {i}\n"
            f"summary: |\n  Event number {i}, with **Markdown** and [a link](https://example.org/{i}).\n"
            f"tags: [ballistic]\n", encoding="utf-8")
    return site


def test_killed_build_leaves_previous_site_complete(tmp_path: Path) -> None:
    site = _big_site(tmp_path / "s", 1500)
    first = run_cli("build", "--source", str(site), timeout=300)
    assert first.returncode == 0, first.stderr
    before = snapshot(site / "site")
    # Change every page, then kill the build while it writes its temporary folder.
    config = site / "content/site.yaml"
    config.write_text(config.read_text().replace("Mini timeline", "Renamed timeline"))
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "build", "--source", str(site)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_mid_write = False
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            temps = [p for p in site.iterdir() if p.name.startswith(".site.tmp")]
            if temps and sum(1 for _ in temps[0].rglob("*.html")) > 50:
                proc.send_signal(signal.SIGKILL)
                killed_mid_write = True
                break
            time.sleep(0.002)
    finally:
        proc.kill()
        proc.wait()
    if not killed_mid_write:
        pytest.skip("the build finished before it could be killed mid-write")
    assert snapshot(site / "site") == before, "the previous site is complete and unchanged"
    # The next build still works, and replaces the site.
    again = run_cli("build", "--source", str(site), timeout=300)
    assert again.returncode == 0, again.stderr
    assert "Renamed timeline" in (site / "site/index.html").read_text()


def test_failed_build_keeps_previous_site_and_writes_nothing_else(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    assert run_cli("build", "--source", str(site)).returncode == 0
    before = tree(tmp_path)
    (site / "content/events/2022-01-12-sanctions.yaml").write_text("title: [\n")
    after_edit = tree(tmp_path)
    assert run_cli("build", "--source", str(site)).returncode == 1
    assert tree(tmp_path) == after_edit
    assert {k: v for k, v in before.items() if k.startswith("s/site/")} == \
        {k: v for k, v in after_edit.items() if k.startswith("s/site/")}


def test_ids_cannot_write_outside_the_site(tmp_path: Path) -> None:
    # Every id that becomes a path is validated; hostile ones are refused before anything is written.
    files = {
        "content/events/2022-01-12-sanctions.yaml": (
            "date: 2022-01-12\ntitle: T\nsummary: S\naliases: ['../../../escaped', '/tmp/escaped', 'a/../../b']\n"
            "tags: ['../../escaped']\n"),
        "content/tags.yaml": "rail-launch: {name: R}\nballistic: {name: B}\nsanctions: {name: S}\n"
                             "'../../escaped': {name: E}\n",
    }
    site = make_site(tmp_path / "s", files=files)
    result = run_cli("build", "--source", str(site), cwd=site)
    assert result.returncode == 1
    assert result.stderr.count("error[bad-id]") == 5, result.stderr
    assert not list(tmp_path.rglob("escaped*")) and not Path("/tmp/escaped").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".dateline-cache")) == ["s"]


# --- The preview server serves its folder and nothing else -------------------------------------------

TRAVERSALS = [
    "/mini/../../../../../../etc/passwd",
    "/mini/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/mini/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/mini/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/mini/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    "/mini/%252e%252e/%252e%252e/%252e%252e/%252e%252e/etc/passwd",
    "/mini/..\\..\\..\\..\\..\\..\\etc\\passwd",
    "/mini/..%5c..%5c..%5c..%5c..%5c..%5cetc%5cpasswd",
    "/mini/....//....//....//....//etc/passwd",
    "/mini/..;/..;/..;/..;/..;/etc/passwd",
    "/mini/%00/../../../../../etc/passwd",
    "/mini/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/mini//etc/passwd",
    "//etc/passwd",
    "/etc/passwd",
    "/mini/{source}/content/site.yaml",
    "/mini/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..{source}%2fcontent%2fsite.yaml",
    "/mini/%2e%2e%2f" * 12 + "{repo}/build.py",
    "/mini/static/",
    "/mini/events/",
    "/mini/static/..%2f..%2f",
]
SECRETS = ("root:x:0:0", "root:*:0:0", "base_url:", "from dateline.cli import main", "Index of", "<li><a href=\"dateline.css")


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory):
    source = make_site(tmp_path_factory.mktemp("serve") / "s")
    server = Served(source)
    yield server, source
    server.stop()


def test_preview_listens_on_loopback_only(preview) -> None:
    server, _source = preview
    assert server.host == "127.0.0.1"
    status, body = server.raw(server.mount)
    assert status == 200 and b"Mini timeline" in body


@pytest.mark.parametrize("target", TRAVERSALS)
def test_preview_refuses_traversal_and_listing(preview, target: str) -> None:
    server, source = preview
    path = target.replace("{source}", str(source).lstrip("/")).replace("{repo}", str(REPO).lstrip("/"))
    status, body = server.raw(path)
    assert status in (400, 404), (status, body[:300])
    text = body.decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in text, f"{path} leaked {secret!r}"


def test_preview_still_serves_the_site_after_hostile_requests(preview) -> None:
    server, _source = preview
    for target in TRAVERSALS[:5]:
        server.raw(target)
    status, body = server.raw(server.mount + "events/2022-01-14-rail-launch/")
    assert status == 200 and b"Two missiles fired from rail cars" in body


def _outward_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routing only
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_preview_is_not_reachable_from_other_machines(preview) -> None:
    server, _source = preview
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to test with")
    with pytest.raises(OSError):
        socket.create_connection((address, server.port), timeout=2).close()


# --- write_site and update_site --------------------------------------------------------------------

def _dead_pid() -> int:
    """A process id that no running process has."""
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            pass
        pid -= 1


def test_write_site_swaps_in_one_step_and_clears_killed_builds(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site({"index.html": b"one"}, out)
    dead = _dead_pid()
    (tmp_path / f".site.tmp-{dead}").mkdir()  # left by a build killed while writing
    (tmp_path / f".site.tmp-{dead}/index.html").write_bytes(b"half")
    (tmp_path / f".site.tmp-{os.getpid()}x").mkdir()  # not ours: left alone
    before = out.stat().st_ino
    write_site({"index.html": b"two"}, out)
    assert (out / "index.html").read_bytes() == b"two" and out.stat().st_ino != before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".site.tmp-{os.getpid()}x", "site"]


def test_write_site_restores_a_site_left_aside_by_a_killed_build(tmp_path: Path) -> None:
    aside = tmp_path / f".site.old-{_dead_pid()}"  # killed between moving site/ aside and moving the new one in
    aside.mkdir()
    (aside / "index.html").write_bytes(b"previous")
    (aside / "CNAME").write_bytes(b"example.org\n")
    _clear_stale(tmp_path / "site")  # the recovery step on its own: the previous site is back
    assert (tmp_path / "site/CNAME").read_bytes() == b"example.org\n"
    write_site({"index.html": b"next"}, tmp_path / "site")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_update_site_replaces_files_whole(tmp_path: Path) -> None:
    out = tmp_path / "site"
    update_site(out, {"index.html": b"old page", "a/b.html": b"b"}, [])
    twin = tmp_path / "backup.html"
    os.link(out / "index.html", twin)  # e.g. cp -al backups, or write_site's hard-linked unchanged files
    update_site(out, {"index.html": b"new page"}, [])
    assert (out / "index.html").read_bytes() == b"new page"
    assert twin.read_bytes() == b"old page", "the file was replaced, not truncated and rewritten"
    assert sorted(p.name for p in out.iterdir()) == ["a", "index.html"], "no temporary files left"
