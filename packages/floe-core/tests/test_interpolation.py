"""`${VAR}` / `${VAR:default}` substitution rules, including typing and escapes."""

from __future__ import annotations

import pytest
from floe_core.interpolation import interpolate, substitute
from floe_core.yaml_source import load_yaml


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "x"}, "x"),
        ("${A:d}", {}, "d"),
        ("${A:d}", {"A": ""}, "d"),  # empty counts as unset when a default is given
        ("${A:}", {}, ""),
        ("${A}", {"A": ""}, ""),
        ("prefix_${A}_${B:x}", {"A": "1"}, "prefix_1_x"),
        ("${A}${A}", {"A": "ab"}, "abab"),
        ("$${A}", {"A": "x"}, "${A}"),
        ("cost $${A:3} and ${A}", {"A": "x"}, "cost ${A:3} and x"),
        ("${URL:http://h:8080/p}", {}, "http://h:8080/p"),  # the first ':' splits name and default
        ("no refs $ { } $", {}, "no refs $ { } $"),
    ],
)
def test_substitute(text: str, env: dict[str, str], expected: str) -> None:
    result = substitute(text, env)
    assert result.problems == ()
    assert result.text == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${MISSING}", "environment variable MISSING is not set and has no default"),
        ("a_${MISSING}_b", "environment variable MISSING is not set"),
        ("${}", "invalid reference '${}': no variable name; write ${VAR} or ${VAR:default}"),
        ("${1X}", "invalid reference '${1X}': '1X' is not a variable name; write ${VAR}"),
        ("${A-B}", "invalid reference '${A-B}': 'A-B' is not a variable name"),
        ("${:x}", "invalid reference '${:x}': no variable name"),
        (
            "abc ${UNCLOSED",
            "unterminated reference '${UNCLOSED': missing '}' after the variable name UNCLOSED;"
            " write ${UNCLOSED} or ${UNCLOSED:default}, or $${ for a literal '${'",
        ),
        ("${FOO and ${BAR}", "unterminated reference '${FOO'"),  # a body never holds another '${'
        ("abc ${", "unterminated '${': write ${VAR} or ${VAR:default}"),
    ],
)
def test_substitute_problems(text: str, fragment: str) -> None:
    result = substitute(text, {"BAR": "b"})
    assert len(result.problems) == 1
    assert fragment in result.problems[0].message


def test_every_problem_in_one_string_is_reported() -> None:
    result = substitute("${A}/${B}", {})
    assert [p.message.split()[2] for p in result.problems] == ["A", "B"]


def _interpolate(text: str, env: dict[str, str]) -> object:
    return interpolate(load_yaml(text), env).data


def test_plain_whole_references_are_typed_like_yaml() -> None:
    text = """
threads: ${THREADS:4}
enabled: ${ENABLED:false}
ratio: ${RATIO:0.5}
nothing: ${NOTHING:null}
word: ${WORD:hello}
quoted: "${THREADS:4}"
single: '${ENABLED:false}'
mixed: ${THREADS:4}x
empty: ${EMPTY:}
"""
    data = _interpolate(text, {"ENABLED": "true"})
    assert data == {
        "threads": 4,
        "enabled": True,
        "ratio": 0.5,
        "nothing": None,
        "word": "hello",
        "quoted": "4",
        "single": "true",
        "mixed": "4x",
        "empty": "",
    }


def test_env_value_is_typed_too_and_yaml_1_1_words_stay_strings() -> None:
    data = _interpolate("a: ${A}\nb: ${B}\nc: ${C}\n", {"A": "12", "B": "yes", "C": "2024-01-01"})
    assert data == {"a": 12, "b": "yes", "c": "2024-01-01"}


def test_nested_mappings_and_lists_are_interpolated_keys_are_not() -> None:
    text = """
outer:
  ${KEY}: ${V1}
  inner:
    items: [a, "${V2}", {deep: "x-${V1}"}]
"""
    doc = interpolate(load_yaml(text), {"V1": "one", "V2": "two"})
    assert doc.data == {"outer": {"${KEY}": "one", "inner": {"items": ["a", "two", {"deep": "x-one"}]}}}
    assert doc.variables[("outer", "inner", "items", 2, "deep")] == ("V1",)


def test_problems_are_located_by_path_and_keep_the_raw_text() -> None:
    doc = interpolate(load_yaml("a:\n  list: [ok, '${NOPE}']\n"), {})
    assert list(doc.problems) == [("a", "list", 1)]
    assert doc.data == {"a": {"list": ["ok", "${NOPE}"]}}
    assert doc.originals[("a", "list", 1)] == "${NOPE}"


def test_same_file_serves_every_environment() -> None:
    """SC-004: only environment variables change between dev, staging and prod."""
    text = "target: ${FLOE_TARGET:dev}\nthreads: ${THREADS:1}\nschema: analytics_${FLOE_TARGET:dev}\n"
    doc = load_yaml(text)
    seen = {
        env_name: interpolate(doc, env).data
        for env_name, env in {
            "dev": {},
            "staging": {"FLOE_TARGET": "staging", "THREADS": "4"},
            "prod": {"FLOE_TARGET": "prod", "THREADS": "16"},
        }.items()
    }
    assert seen == {
        "dev": {"target": "dev", "threads": 1, "schema": "analytics_dev"},
        "staging": {"target": "staging", "threads": 4, "schema": "analytics_staging"},
        "prod": {"target": "prod", "threads": 16, "schema": "analytics_prod"},
    }
