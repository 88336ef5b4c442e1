"""YAML reading: line numbers, duplicate keys, syntax errors, core-schema typing."""

from __future__ import annotations

import pytest
from floe_core.errors import FloeValidationError
from floe_core.yaml_source import load_yaml


def test_lines_are_recorded_for_every_path() -> None:
    doc = load_yaml("a: 1\nb:\n  c: [x, y]\n  d:\n    - e: 2\n")
    assert doc.lines[("a",)] == 1
    assert doc.lines[("b", "c")] == 3
    assert doc.lines[("b", "d", 0, "e")] == 5
    assert doc.line_of(("b", "d", 0, "missing")) == 5  # closest ancestor


def test_duplicate_keys_name_both_lines() -> None:
    with pytest.raises(FloeValidationError) as err:
        load_yaml("a:\n  b: 1\n  c: 2\n  b: 3\n")
    [issue] = err.value.issues
    assert issue.path == "a.b"
    assert issue.line == 4
    assert "duplicate key 'a.b' (first defined on line 2)" in issue.message


def test_syntax_error_has_line_and_column() -> None:
    with pytest.raises(FloeValidationError) as err:
        load_yaml("a: 1\nb: [1, 2\nc: 3\n", "f.yaml")
    [issue] = err.value.issues
    assert issue.message.startswith("invalid YAML")
    assert issue.line == 3
    assert issue.column is not None
    assert err.value.render().splitlines()[1].startswith("f.yaml:3:")


def test_tabs_get_a_plain_message() -> None:
    with pytest.raises(FloeValidationError) as err:
        load_yaml("a:\n\tb: 1\n")
    assert "tabs" in err.value.issues[0].message
    assert err.value.issues[0].line == 2


def test_core_schema_typing() -> None:
    doc = load_yaml("a: yes\nb: on\nc: 2024-01-01\nd: true\ne: 010\nf: 1.5\ng: ~\nh:\n1: k\n")
    assert doc.data == {
        "a": "yes",
        "b": "on",
        "c": "2024-01-01",
        "d": True,
        "e": 10,
        "f": 1.5,
        "g": None,
        "h": None,
        "1": "k",
    }
    assert ("a",) in doc.plain_strings
    assert ("c",) in doc.plain_strings


def test_quoted_strings_are_not_plain() -> None:
    doc = load_yaml("a: 'x'\nb: \"y\"\nc: z\n")
    assert doc.plain_strings == frozenset({("c",)})


def test_anchors_and_merge_keys() -> None:
    doc = load_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n")
    assert doc.data == {"base": {"x": 1, "y": 2}, "use": {"x": 1, "y": 3}}


def test_custom_tags_are_rejected_with_their_line() -> None:
    with pytest.raises(FloeValidationError) as err:
        load_yaml("a: 1\nb: !Ref thing\n")
    assert err.value.issues[0].line == 2
    assert "unsupported YAML tag !Ref" in err.value.issues[0].message


def test_empty_document_is_none() -> None:
    assert load_yaml("# only a comment\n").data is None


def test_references_work_inside_flow_mappings() -> None:
    """The documented one-liner `{path: ${X:.floe/demo.duckdb}, threads: 4}` is valid YAML for floe."""
    doc = load_yaml(
        "dev: {type: duckdb, properties: {path: ${FLOE_DUCKDB_PATH:.floe/demo.duckdb}, threads: ${T:4}}}\n"
        "keys: [${A}, 'q${B:x}', $${LITERAL}]\n"
        "${KEY:k}: v\n"
    )
    assert doc.data == {
        "dev": {
            "type": "duckdb",
            "properties": {"path": "${FLOE_DUCKDB_PATH:.floe/demo.duckdb}", "threads": "${T:4}"},
        },
        "keys": ["${A}", "q${B:x}", "$${LITERAL}"],
        "${KEY:k}": "v",
    }
    assert doc.lines[("dev", "properties", "threads")] == 1
    assert doc.lines[("keys",)] == 2
