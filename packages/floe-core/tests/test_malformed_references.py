"""A malformed `${...}` is named with its variable and line (issue 15), not reported as broken YAML.

Before, `"${FOO"` inside a flow mapping made the reference hiding (done so that `{path: ${X:a}}` parses)
swallow the closing quote: "invalid YAML: found unexpected end of stream", although the YAML was valid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Validation

HEAD = """\
name: demo
version: "1.0"
compute:
  default: dev
  targets:
"""
UNTERMINATED_FOO = (
    "unterminated reference '${FOO': missing '}' after the variable name FOO; write ${FOO} or"
    " ${FOO:default}, or $${ for a literal '${'"
)
HOW = "write ${VAR} or ${VAR:default} (VAR: letters, digits and _, not starting with a digit)"


def test_quoted_unterminated_reference_in_a_flow_mapping(validate: Callable[..., Validation]) -> None:
    run = validate(HEAD + '    dev: {type: duckdb, properties: {path: "${FOO"}}\n')
    assert run.problems == [
        f"{run.config}:6: compute.targets.dev.properties.path: {UNTERMINATED_FOO} (got '${{FOO')"
    ]


def test_unquoted_unterminated_reference_in_a_flow_mapping(validate: Callable[..., Validation]) -> None:
    # here the YAML really cannot be read: `{` after `$` opens a mapping. The reference comes first.
    run = validate(HEAD + "    dev: {type: duckdb, properties: {path: ${FOO, threads: 2}}\n")
    assert run.problems == [
        f"{run.config}:6:44: <root>: invalid reference '${{FOO, threads: 2}}': 'FOO, threads' is not a"
        f" variable name (a '}}' missing after FOO?); {HOW}",
        f"{run.config}:6:45: <root>: invalid YAML: expected ',' or '}}', but got '{{' (while parsing a flow"
        " mapping); fix the malformed ${...} reference on line 6 first",
    ]


def test_unterminated_reference_in_block_style(validate: Callable[..., Validation]) -> None:
    run = validate(HEAD + "    dev:\n      type: duckdb\n      properties:\n        path: db_${FOO\n")
    assert run.problems == [
        f"{run.config}:9: compute.targets.dev.properties.path: {UNTERMINATED_FOO} (got 'db_${{FOO')"
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("${}", f"invalid reference '${{}}': no variable name; {HOW}"),
        ("${1X}", f"invalid reference '${{1X}}': '1X' is not a variable name; {HOW}"),
    ],
)
def test_empty_and_invalid_names(validate: Callable[..., Validation], written: str, message: str) -> None:
    run = validate(HEAD + f"    dev: {{type: duckdb, properties: {{path: '{written}'}}}}\n")
    assert run.problems == [
        f"{run.config}:6: compute.targets.dev.properties.path: {message} (got '{written}')"
    ]


@pytest.mark.parametrize("written", ["${}", "${1X}"])
def test_empty_and_invalid_names_unquoted_in_a_flow_mapping(
    validate: Callable[..., Validation], written: str
) -> None:
    run = validate(HEAD + f"    dev: {{type: duckdb, properties: {{path: {written}}}}}\n")
    first = run.problems[0]
    assert first.startswith(f"{run.config}:6:44: <root>: invalid reference '{written}'")


def test_well_formed_references_still_work_inside_flow_mappings(validate: Callable[..., Validation]) -> None:
    run = validate(
        HEAD + "    dev: {type: duckdb, properties: {path: ${FLOE_TEST_DB:x.duckdb}, threads: ${T_X:4}}}\n"
    )
    assert run.code == 0
