"""load_spec: every problem in one error, each with path, line, value and what was expected."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pytest
from floe_core.errors import FloeError, FloeValidationError, Issue
from floe_core.loader import load_spec, parse_spec
from floe_core.spec.base import FloeModel
from floe_core.validation_errors import translate
from floe_core.yaml_source import load_yaml
from pydantic import Field, ValidationError


def _issues(text: str, env: dict[str, str] | None = None) -> list[Issue]:
    with pytest.raises(FloeValidationError) as err:
        parse_spec(text, "floe.yaml", env or {})
    return err.value.issues


def _by_path(text: str, env: dict[str, str] | None = None) -> dict[str, Issue]:
    return {i.path: i for i in _issues(text, env)}


MINIMAL = """\
name: demo
version: "1.0"
compute:
  default: dev
  targets:
    dev:
      type: duckdb
      properties:
        path: demo.duckdb
"""


def test_valid_spec_is_interpolated(project: Path) -> None:
    spec = load_spec(project, env={"FLOE_THREADS": "8"})
    assert spec.name == "demo"
    assert spec.compute.default == "dev"
    assert spec.dbt_transform is not None and spec.dbt_transform.path == "dbt"
    assert spec.governance.classifications["stg_customers"]["email"] == "pii"
    dev = spec.compute.targets["dev"]
    assert dev.properties.threads == 8  # type: ignore[union-attr]
    assert dev.properties.path == ".floe/demo.duckdb"  # type: ignore[union-attr]


def test_env_selects_the_target_sc004(project: Path) -> None:
    assert load_spec(project, env={}).compute.default == "dev"
    assert load_spec(project, env={"FLOE_TARGET": "prod"}).compute.default == "prod"


def test_default_env_is_os_environ(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_TARGET", "prod")
    assert load_spec(project).compute.default == "prod"


def test_every_problem_is_reported_at_once() -> None:
    text = MINIMAL.replace("path: demo.duckdb", "path: demo.duckdb\n        thread: 4") + (
        "transforms:\n  - type: dbt\n    path: ${DBT_DIR}\n  - type: dbt\n    path: other\n"
    )
    text = text.replace("default: dev", "default: dve")
    issues = _by_path(text)
    assert set(issues) == {
        "compute.default",
        "compute.targets.dev.properties.thread",
        "transforms[0].path",
        "transforms[1]",
    }
    assert issues["compute.default"].line == 4
    assert "defined targets: dev" in issues["compute.default"].message
    assert "did you mean 'dev'?" in issues["compute.default"].message
    assert (
        issues["compute.targets.dev.properties.thread"].message
        == "unknown key 'thread'; did you mean 'threads'?"
    )
    assert issues["compute.targets.dev.properties.thread"].line == 10
    assert "DBT_DIR is not set" in issues["transforms[0].path"].message
    assert issues["transforms[0].path"].value == "${DBT_DIR}"
    assert "only one dbt transform" in issues["transforms[1]"].message
    # sorted by line
    lines = [i.line or 0 for i in _issues(text)]
    assert lines == sorted(lines)


def test_unsupported_target_type_lists_supported_ones() -> None:
    issue = _by_path(MINIMAL.replace("type: duckdb", "type: oracle"))["compute.targets.dev.type"]
    assert issue.message.startswith("unsupported target type 'oracle'; supported: duckdb, snowflake")
    for name in ("bigquery", "redshift", "databricks", "postgres", "spark"):
        assert name in issue.message
    assert issue.line == 7


def test_misspelled_target_type_gets_a_suggestion() -> None:
    issue = _by_path(MINIMAL.replace("type: duckdb", "type: duckbd"))["compute.targets.dev.type"]
    assert "did you mean 'duckdb'?" in issue.message


def test_wrong_type_names_expected_type_value_and_line() -> None:
    issue = _by_path(MINIMAL.replace("path: demo.duckdb", "path: x\n        threads: many"))[
        "compute.targets.dev.properties.threads"
    ]
    assert issue.message == "expected an integer"
    assert issue.value == "many"
    assert issue.line == 10
    assert issue.render("floe.yaml") == (
        "floe.yaml:10: compute.targets.dev.properties.threads: expected an integer (got 'many')"
    )


def test_interpolated_wrong_value_names_the_variable() -> None:
    text = MINIMAL.replace("path: demo.duckdb", "path: x\n        threads: ${THREADS}")
    issue = _by_path(text, {"THREADS": "lots"})["compute.targets.dev.properties.threads"]
    assert issue.value == "lots"
    assert "(value from $THREADS)" in issue.message


def test_values_from_secret_looking_variables_are_masked() -> None:
    text = MINIMAL.replace("path: demo.duckdb", "path: x\n        threads: ${DB_PASSWORD}")
    rendered = FloeValidationError(_issues(text, {"DB_PASSWORD": "hunter2"})).render()
    assert "hunter2" not in rendered
    assert "'***'" in rendered


def test_missing_required_keys() -> None:
    issues = _by_path("name: demo\ncompute:\n  targets: {}\n")
    assert issues["version"].message == "missing required key 'version'"
    assert issues["version"].line == 1
    assert issues["compute.default"].message == "missing required key 'default'"
    assert issues["compute.default"].line == 2


def test_unknown_top_level_key_suggests_and_lists() -> None:
    issues = _by_path(MINIMAL + "transform: []\nfoo: 1\n")
    assert issues["transform"].message == "unknown key 'transform'; did you mean 'transforms'?"
    assert issues["foo"].message.startswith("unknown key 'foo'; expected one of: name, version, compute")


def test_literal_choices_are_listed() -> None:
    text = MINIMAL + "orchestration:\n  dbt:\n    observability_level: per_modle\n"
    issue = _by_path(text)["orchestration.dbt.observability_level"]
    assert issue.message == "must be one of: per_model, job_level; did you mean 'per_model'?"
    assert issue.value == "per_modle"


def test_number_for_string_suggests_quoting() -> None:
    issue = _by_path(MINIMAL.replace('version: "1.0"', "version: 1.0"))["version"]
    assert "quote it" in issue.message
    assert issue.value == 1.0


def test_wrong_container_types() -> None:
    issues = _by_path(MINIMAL + "transforms: {type: dbt}\n")
    assert issues["transforms"].message == "expected a list, got a mapping"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the file is empty"),
        ("# just a comment\n", "the file is empty"),
        ("- a\n- b\n", "at the top level, got a list"),
        ("just text\n", "at the top level, got the value 'just text'"),
    ],
)
def test_top_level_shape(text: str, fragment: str) -> None:
    [issue] = _issues(text)
    assert fragment in issue.message
    assert issue.line == 1


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(FloeError, match="file not found"):
        load_spec(tmp_path / "nope.yaml")
    with pytest.raises(FloeError, match="is a folder"):
        load_spec(tmp_path)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "floe.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(FloeError, match="not UTF-8"):
        load_spec(path)


# -- the pydantic translation on models of its own, independent of the compute models --


class _Props(FloeModel):
    threads: int = 1
    path: str = "x"


class _Duck(FloeModel):
    type: Literal["duckdb"]
    properties: _Props = Field(default_factory=_Props)


class _Pg(FloeModel):
    type: Literal["postgres"]
    host: str


class _Root(FloeModel):
    targets: dict[str, Annotated[_Duck | _Pg, Field(discriminator="type")]]
    items: list[_Props] = Field(default_factory=list)
    either: int | list[str] = 0


def _translated(text: str) -> dict[str, str]:
    data = load_yaml(text).data
    with pytest.raises(ValidationError) as err:
        _Root.model_validate(data)
    return {".".join(map(str, i.path)): i.message for i in translate(_Root, err.value, data)}


def test_translation_strips_union_tags_even_when_names_collide() -> None:
    issues = _translated(
        "targets:\n  duckdb: {type: duckdb, properties: {thred: 2}}\n  pg: {type: postgres}\n"
    )
    assert issues == {
        "targets.duckdb.properties.thred": "unknown key 'thred'; did you mean 'threads'?",
        "targets.pg.host": "missing required key 'host'",
    }


def test_translation_of_plain_discriminator_and_union_alternatives() -> None:
    issues = _translated("targets:\n  a: {type: mysql}\n  b: {}\nitems: [{path: 1}]\neither: {k: v}\n")
    assert issues["targets.a.type"] == "unsupported target type 'mysql'; supported: duckdb, postgres"
    assert issues["targets.b.type"] == "missing required key 'type'; supported target types: duckdb, postgres"
    assert issues["items.0.path"] == 'expected a string (quote it to keep it text, e.g. "1.0")'
    assert issues["either"] == "expected an integer or a list, got a mapping"
