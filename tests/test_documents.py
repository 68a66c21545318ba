"""Documents: YAML parsed with positions; hostile YAML refused with a located, explained diagnostic."""

from __future__ import annotations

import pytest

from dateline.documents import parse_yaml


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
