"""Loading content files: positions kept, hostile YAML and files refused with a located diagnostic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dateline.load import MAX_FILE_BYTES, content_files, load_content, parse_yaml, read_text


def parse(text: str):
    return parse_yaml(text, "f.yaml")


def test_positions_of_values_and_keys() -> None:
    doc, problem = parse("title: A\ntags:\n  - x\n  - y\nlocation: {name: Seoul, lat: 37.5}\n")
    assert problem is None
    assert doc.data == {"title": "A", "tags": ["x", "y"], "location": {"name": "Seoul", "lat": 37.5}}
    assert doc.pos(("tags", 1)) == (4, 5)
    assert doc.key_pos(("location",)) == (5, 1)
    assert doc.pos(("location", "lat")) == (5, 30)
    assert doc.pos(("missing", "deeper")) == (1, 1), "an absent path falls back to the document"


def test_numbers_and_booleans_keep_their_written_text() -> None:
    doc, _ = parse("date: 0000\nversion: 1.10\nflag: yes\ndate2: 2022-01-14\n")
    assert doc.data == {"date": 0, "version": 1.1, "flag": True, "date2": "2022-01-14"}
    assert doc.written == {("date",): "0000", ("version",): "1.10", ("flag",): "yes"}


@pytest.mark.parametrize("text, line, col, code, words", [
    ("a: 1\n\tb: 2\n", 2, 1, "yaml-syntax", "tab"),
    ("a:\n  b: 1\n\tc: 2\n", 3, 1, "yaml-syntax", "tab"),
    ('a: 1\nb: "never closed\nc: 2\n', 2, 4, "yaml-syntax", "never closed"),
    ("a: 1\nb: 'never closed\n", 2, 4, "yaml-syntax", "never closed"),
    ("a: [1, 2\nb: 3\n", 1, 4, "yaml-syntax", "list that opens here is not closed"),
    ("a: {k: 1\n", 1, 4, "yaml-syntax", "mapping that opens here is not closed"),
    ("a:\n  b: 1\n c: 2\n", 3, 2, "yaml-syntax", "indentation"),
    ("a: b: c\n", 1, 5, "yaml-syntax", "': '"),
    ("a: 1\n---\nb: 2\n", 2, 1, "yaml-syntax", "more than one YAML document"),
    ("a: @home\n", 1, 4, "yaml-syntax", "cannot start with '@'"),
    ("a: &x 1\n", 1, 4, "yaml-alias", "anchors (&x)"),
    ("a: 1\nb: *x\n", 2, 4, "yaml-alias", "aliases"),
    ("a: &x [1]\nb: *x\n", 1, 4, "yaml-alias", "&x"),
    ("a: &x {k: 1}\nb:\n  <<: *x\n", 1, 4, "yaml-alias", "&x"),
    ("a: !!python/object/apply:os.system [ls]\n", 1, 4, "yaml-tag", "'!!python/object/apply:os.system'"),
    ("a: !!python/name:os.system ''\n", 1, 4, "yaml-tag", "python/name"),
    ("a: !!binary aGVsbG8=\n", 1, 4, "yaml-tag", "!!binary"),
    ("a: !!set {x, y}\n", 1, 4, "yaml-tag", "!!set"),
    ("title: !important notice\n", 1, 8, "yaml-tag", "'!important'"),
    ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate-key", "first on line 1"),
    ("? [a, b]\n: c\n", 1, 3, "yaml-syntax", "keys must be plain text"),
])
def test_bad_yaml_is_located(text: str, line: int, col: int, code: str, words: str) -> None:
    doc, problem = parse(text)
    assert doc is None
    assert (problem.line, problem.column, problem.code) == (line, col, code), problem
    assert words in problem.message + problem.hint
    assert problem.severity == "error"


def test_billion_laughs_is_refused_without_expanding() -> None:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 12)]
    doc, problem = parse("\n".join(lines) + "\n")
    assert doc is None and problem.code == "yaml-alias" and problem.line == 1


def test_deep_nesting_is_a_diagnostic() -> None:
    doc, problem = parse("a: " + "[" * 20000 + "]" * 20000 + "\n")
    assert doc is None and problem.code == "yaml-syntax"


def test_empty_and_comment_only_documents_have_no_data() -> None:
    for text in ("", "# just a comment\n", "---\n"):
        doc, problem = parse(text)
        assert problem is None and doc.data is None


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
