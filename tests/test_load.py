"""Loading content files: oversized, binary, non-UTF-8, linked-out and special files refused, located."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dateline.load import MAX_FILE_BYTES, content_files, load_content, read_text


def test_read_text_accepts_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"\xef\xbb\xbftitle: A\r\nsummary: B\r\n")
    text, problem = read_text(path, "x.yaml")
    assert problem is None and text == "title: A\nsummary: B\n"


@pytest.mark.parametrize("data, line, col, code", [
    (b"title: ok\nnote: caf\xe9\n", 2, 10, "encoding"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, 1, "binary-file"),
    (b"\xff\xfet\x00i\x00", 1, 1, "binary-file"),  # UTF-16 is not UTF-8 either
])
def test_read_text_refuses_non_utf8(tmp_path: Path, data: bytes, line: int, col: int, code: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(data)
    text, problem = read_text(path, "x.yaml")
    assert text is None and (problem.line, problem.column, problem.code) == (line, col, code)


def test_special_files_are_refused_without_opening(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "site.yaml")
    text, problem = read_text(tmp_path / "site.yaml", "site.yaml")
    assert text is None and problem.code == "not-a-file"


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: reading it would be slow, stat is not
    text, problem = read_text(path, "big.yaml")
    assert text is None and problem.code == "file-too-large" and "1,000,001 bytes" in problem.message


def test_content_files_refuse_links_out_folders_and_specials(tmp_path: Path) -> None:
    content = tmp_path / "content"
    events = content / "events"
    events.mkdir(parents=True)
    outside = tmp_path / "secret.yaml"
    outside.write_text("title: secret\n")
    (events / "a.yaml").write_text("title: a\n")
    (events / "b.yaml").symlink_to(outside)
    (events / "c.yaml").symlink_to(events / "a.yaml")  # a link inside content/ is fine
    (events / "d.yaml").mkdir()
    (events / "e.yml").write_text("title: e\n")
    (events / "f.YAML").write_text("title: f\n")
    (events / "g.json").write_text("{}")
    (events / "README.md").write_text("notes")
    (events / ".h.yaml.swp").write_text("editor")
    (events / "2022").mkdir()
    (events / "2022/x.yaml").write_text("title: x\n")
    os.mkfifo(events / "i.yaml")
    diagnostics: list = []
    found = content_files(events, content.resolve(), diagnostics)
    assert [p.name for p in found] == ["a.yaml", "c.yaml"]
    codes = {Path(d.file).name: d.code for d in diagnostics}
    assert codes == {"b.yaml": "symlink-outside", "d.yaml": "not-a-file", "e.yml": "bad-extension",
                     "f.YAML": "bad-extension", "g.json": "ignored-file", "2022": "not-a-file",
                     "i.yaml": "not-a-file"}
    assert all(d.severity == "error" for d in diagnostics if d.code != "ignored-file")


def test_events_folder_linked_outside_is_refused(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/x.yaml").write_text("title: x\n")
    (content / "events").symlink_to(tmp_path / "elsewhere")
    raw = load_content(content)
    assert raw.events == []
    assert [d.code for d in raw.diagnostics] == ["missing-file", "symlink-outside"]


def test_unreadable_files_are_remembered_as_broken(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "events").mkdir(parents=True)
    (content / "sources").mkdir()
    (content / "site.yaml").write_text("title: T\nbase_url: https://example.org/\n")
    (content / "tags.yaml").write_text("a: [\n")
    (content / "events/ok.yaml").write_text("title: ok\n")
    (content / "events/bad.yaml").write_text("title: 'bad\n")
    (content / "sources/s.txt").write_bytes(b"\xff")
    raw = load_content(content)
    assert raw.broken == {"events": {"bad"}, "sources": {"s"}, "tags": {"tags.yaml"}}
    assert [Path(d.file).name for d in raw.diagnostics] == ["tags.yaml", "bad.yaml", "s.txt"]
