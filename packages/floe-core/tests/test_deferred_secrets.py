"""Issue 16.1/16.2: a `${VAR}` whose name looks secret, used in a field that is not `*_env` (DuckDB
settings, a webhook URL), is never written in clear: compiled_artifacts.json keeps the reference, the process
that loads the artifacts resolves it, and the value is the same as if it had been written."""

from __future__ import annotations

from pathlib import Path

import pytest
from floe_core.artifacts import ARTIFACTS_FILENAME, CompiledArtifacts
from floe_core.compiler import compile_project
from floe_core.errors import FloeError, FloeValidationError
from floe_core.interpolation import dbt_env_var_text
from floe_core.loader import load_spec

from .conftest import DBT_PROJECT_YML

SECRET = "Zq9-very-s3cret-VALUE"
TOKEN = "tok-4481-secret"

FLOE_YAML = """\
name: demo
version: "1.0"
compute:
  default: dev
  targets:
    dev:
      type: duckdb
      properties:
        path: .floe/demo.duckdb
        settings:
          s3_secret_access_key: ${AWS_SECRET_ACCESS_KEY}
          s3_region: ${AWS_REGION:eu-west-1}
          s3_endpoint: "${S3_HOST}/$${literal}"
transforms:
  - type: dbt
    path: dbt
orchestration:
  jobs:
    nightly: {type: batch, selection: "*"}
  sensors:
    on_fail:
      type: run_status
      watch: [nightly]
      webhook: "https://hooks.example.com/x?token=${ALERT_TOKEN}&team=${TEAM:data}"
"""

ENV = {"AWS_SECRET_ACCESS_KEY": SECRET, "ALERT_TOKEN": TOKEN, "S3_HOST": "s3.local:9000/${not_a_ref}"}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "floe.yaml"
    path.write_text(FLOE_YAML, encoding="utf-8")
    (tmp_path / "dbt").mkdir()
    (tmp_path / "dbt" / "dbt_project.yml").write_text(DBT_PROJECT_YML, encoding="utf-8")
    return path


def _files(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_secret_values_are_not_written_and_come_back_when_loaded(config: Path) -> None:
    compiled = compile_project(config, env=ENV, steps={})
    written = _files(config.parent / ".floe")
    assert SECRET not in written and TOKEN not in written
    assert "${AWS_SECRET_ACCESS_KEY}" in written and "token=${ALERT_TOKEN}" in written

    loaded = CompiledArtifacts.load(config.parent / ".floe" / ARTIFACTS_FILENAME, env=ENV)
    direct = load_spec(config, ENV)
    assert loaded.spec == direct == compiled.spec
    settings = loaded.spec.compute.targets["dev"].properties.settings  # type: ignore[union-attr]
    assert settings["s3_secret_access_key"] == SECRET
    assert settings["s3_region"] == "eu-west-1"
    # an escape and a `${` inside a non-secret value survive the round trip unchanged
    assert settings["s3_endpoint"] == "s3.local:9000/${not_a_ref}/${literal}"


def test_loading_without_the_variable_names_it(config: Path) -> None:
    compile_project(config, env=ENV, steps={})
    with pytest.raises(FloeError) as err:
        CompiledArtifacts.load(
            config.parent / ".floe" / ARTIFACTS_FILENAME, env={"AWS_SECRET_ACCESS_KEY": "x"}
        )
    message = str(err.value)
    assert "ALERT_TOKEN is not set" in message
    assert "orchestration.sensors.on_fail.webhook" in message
    assert TOKEN not in message


def test_a_secret_variable_in_a_typed_field_is_an_error_with_its_line(tmp_path: Path) -> None:
    text = FLOE_YAML.replace(
        "path: .floe/demo.duckdb", "path: .floe/demo.duckdb\n        threads: ${DB_TOKEN}"
    )
    config = tmp_path / "floe.yaml"
    config.write_text(text, encoding="utf-8")
    (tmp_path / "dbt").mkdir()
    (tmp_path / "dbt" / "dbt_project.yml").write_text(DBT_PROJECT_YML, encoding="utf-8")
    with pytest.raises(FloeValidationError) as err:
        compile_project(config, env={**ENV, "DB_TOKEN": "4"}, steps={})
    message = str(err.value)
    assert "floe.yaml:10: compute.targets.dev.properties.threads: takes its value from $DB_TOKEN" in message
    assert not (tmp_path / ".floe" / ARTIFACTS_FILENAME).exists()


@pytest.mark.parametrize(
    ("stored", "jinja"),
    [
        ("${AWS_SECRET_ACCESS_KEY}", "{{ env_var('AWS_SECRET_ACCESS_KEY') }}"),
        ("${DB_PASSWORD:x}", "{{ (env_var('DB_PASSWORD', '') or 'x') }}"),
        ("s3://b/${TOKEN_A}/$${lit}", "{{ 's3://b/' ~ env_var('TOKEN_A') ~ '/' ~ '${' ~ 'lit}' }}"),
    ],
)
def test_references_become_dbt_env_var_calls(stored: str, jinja: str) -> None:
    assert dbt_env_var_text(stored) == jinja
