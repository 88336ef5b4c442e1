"""`floe compile` with the dbt step, for real: profiles.yml + `dbt parse`, then dbt builds with them."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import duckdb
import floe_testkit
import pytest
import yaml
from floe_core.compile_steps import CompileContext
from floe_core.compiler import compile_project
from floe_core.errors import FloeError
from floe_dbt import compile_step
from floe_dbt.manifest import load_manifest
from floe_dbt.runner import DbtInvocation, check, run_dbt

STEPS = {"dbt": compile_step.run}

DUCKDB = """compute:
  default: dev
  targets:
    dev:
      type: duckdb
      properties: {path: warehouse.duckdb, threads: 2}
"""

SNOWFLAKE = """compute:
  default: prod
  targets:
    dev:
      type: duckdb
    prod:
      type: snowflake
      properties: {account: xy123, database: ANALYTICS, schema: core, warehouse: WH}
      credentials: {method: password, user_env: FLOE_T_SF_USER, password_env: FLOE_T_SF_PASSWORD}
"""


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _assert_nowhere(values: list[str], folders: list[Path]) -> None:
    for folder in folders:
        for path in _files(folder):
            data = path.read_bytes()
            for value in values:
                assert value.encode() not in data, f"{value!r} found in {path}"


@pytest.mark.slow
def test_duckdb_compile_then_build(tmp_path: Path, project_files: Any) -> None:
    write_dbt_project, write_floe_yaml = project_files
    project = write_dbt_project(tmp_path)
    artifacts = compile_project(write_floe_yaml(tmp_path, DUCKDB), steps=STEPS)

    assert artifacts.dbt is not None
    assert artifacts.dbt.model_dump() == {
        "project_dir": "dbt",
        "profiles_dir": ".floe/profiles",
        "profile_name": "shop",
        "target": "dev",
        "manifest_path": ".floe/dbt/manifest.json",
    }
    manifest = load_manifest(tmp_path / ".floe/dbt/manifest.json")
    assert manifest.model_names() == ["order_count", "orders"]
    assert manifest.project_name == "shop"
    profiles = yaml.safe_load((tmp_path / ".floe/profiles/profiles.yml").read_text())
    # floe.yaml says `warehouse.duckdb` (next to floe.yaml); dbt runs in dbt/, so the profile says `../`
    assert profiles["shop"]["outputs"]["dev"]["path"] == "../warehouse.duckdb"

    build = run_dbt(
        ["build"],
        DbtInvocation(
            project_dir=project,
            profiles_dir=tmp_path / ".floe/profiles",
            target="dev",
            target_path=tmp_path / "run-target",
            log_path=tmp_path / "run-logs",
        ),
    )
    check(build, "dbt build")
    assert not (project / "warehouse.duckdb").exists()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        assert conn.execute("select id, item from main.orders order by id").fetchall() == [
            (1, "apple"),
            (2, "pear"),
            (3, "fig"),
        ]
        assert conn.execute("select n from main.order_count").fetchall() == [(3,)]


@pytest.mark.slow
def test_postgres_compile_then_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_files: Any
) -> None:
    write_dbt_project, write_floe_yaml = project_files
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        psycopg2.connect(
            host="127.0.0.1", port=5432, user="postgres", dbname="test", connect_timeout=3
        ).close()
        up = True
    except psycopg2.OperationalError:
        up = False
    floe_testkit.require(up, "PostgreSQL on 127.0.0.1:5432 (user postgres, db test)")

    schema = f"floe_dbt_{uuid.uuid4().hex[:10]}"
    password = f"pg-planted-{uuid.uuid4().hex}"  # trust auth ignores it; it must still never be written
    monkeypatch.setenv("FLOE_T_PG_USER", "postgres")
    monkeypatch.setenv("FLOE_T_PG_PASSWORD", password)
    monkeypatch.setenv("FLOE_T_PG_PORT", "5432")
    compute = f"""compute:
  default: ci
  targets:
    ci:
      type: postgres
      properties: {{host: 127.0.0.1, port_env: FLOE_T_PG_PORT, database: test, schema: {schema}}}
      credentials: {{method: password, user_env: FLOE_T_PG_USER, password_env: FLOE_T_PG_PASSWORD}}
"""
    project = write_dbt_project(tmp_path)
    compile_project(write_floe_yaml(tmp_path, compute), steps=STEPS)
    try:
        check(
            run_dbt(
                ["build"],
                DbtInvocation(
                    project_dir=project,
                    profiles_dir=tmp_path / ".floe/profiles",
                    target_path=tmp_path / ".floe/run",
                    log_path=tmp_path / ".floe/run-logs",
                ),
            ),
            "dbt build",
        )
        with psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test") as conn:
            cur = conn.cursor()
            cur.execute(f'select id, item from "{schema}".orders order by id')
            assert cur.fetchall() == [(1, "apple"), (2, "pear"), (3, "fig")]
            cur.execute(f'select n from "{schema}".order_count')
            assert cur.fetchall() == [(3,)]
    finally:
        conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
        conn.autocommit = True
        conn.cursor().execute(f'drop schema if exists "{schema}" cascade')
        conn.close()
    _assert_nowhere([password], [tmp_path / ".floe", project / "logs"])


@pytest.mark.slow
def test_remote_target_secrets_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_files: Any
) -> None:
    """dbt parse against a Snowflake target: set secrets are read from env but never land in a file."""
    write_dbt_project, write_floe_yaml = project_files
    user, password = f"sf-user-{uuid.uuid4().hex}", f"sf-pass-{uuid.uuid4().hex}"
    monkeypatch.setenv("FLOE_T_SF_USER", user)
    monkeypatch.setenv("FLOE_T_SF_PASSWORD", password)
    project = write_dbt_project(tmp_path)
    artifacts = compile_project(write_floe_yaml(tmp_path, SNOWFLAKE), steps=STEPS)
    assert artifacts.dbt is not None and artifacts.dbt.target == "prod"
    text = (tmp_path / ".floe/profiles/profiles.yml").read_text()
    assert "{{ env_var('FLOE_T_SF_PASSWORD') }}" in text
    manifest = load_manifest(tmp_path / ".floe/dbt/manifest.json")
    assert manifest.raw["metadata"]["adapter_type"] == "snowflake"
    assert manifest.raw["nodes"]["model.shop.orders"]["database"] == "ANALYTICS"
    assert any((tmp_path / ".floe/dbt/logs").iterdir())  # dbt's log is kept, and checked below
    _assert_nowhere([user, password], [tmp_path / ".floe", project])


@pytest.mark.slow
def test_unset_secrets_get_a_parse_only_placeholder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_files: Any
) -> None:
    write_dbt_project, write_floe_yaml = project_files
    monkeypatch.delenv("FLOE_T_SF_USER", raising=False)
    monkeypatch.delenv("FLOE_T_SF_PASSWORD", raising=False)
    project = write_dbt_project(tmp_path)
    compile_project(write_floe_yaml(tmp_path, SNOWFLAKE), steps=STEPS)
    assert load_manifest(tmp_path / ".floe/dbt/manifest.json").model_names() == ["order_count", "orders"]
    assert "FLOE_T_SF_PASSWORD" not in os.environ  # the placeholder never reached floe's own environment
    _assert_nowhere([compile_step._PLACEHOLDER_TEXT], [tmp_path / ".floe", project])


@pytest.mark.slow
def test_parse_failure_reports_dbt_error_and_keeps_previous_manifest(
    tmp_path: Path, project_files: Any
) -> None:
    write_dbt_project, write_floe_yaml = project_files
    project = write_dbt_project(tmp_path)
    config = write_floe_yaml(tmp_path, DUCKDB)
    compile_project(config, steps=STEPS)
    manifest = tmp_path / ".floe/dbt/manifest.json"
    before = manifest.read_bytes()

    (project / "models" / "order_count.sql").write_text("select * from {{ ref('no_such_model') }}\n")
    with pytest.raises(FloeError) as info:
        compile_project(config, steps=STEPS)
    message = str(info.value)
    assert "dbt parse of" in message and "failed" in message
    assert "no_such_model" in message  # dbt's own words
    assert manifest.read_bytes() == before


@pytest.mark.slow
def test_local_packages_are_installed_before_parse(tmp_path: Path, project_files: Any) -> None:
    write_dbt_project, write_floe_yaml = project_files
    project = write_dbt_project(tmp_path)
    package = tmp_path / "helpers"
    (package / "macros").mkdir(parents=True)
    (package / "dbt_project.yml").write_text("name: helpers\nversion: '1.0'\nconfig-version: 2\n")
    (package / "macros" / "three.sql").write_text("{% macro three() %}3{% endmacro %}\n")
    (project / "packages.yml").write_text("packages:\n  - local: ../helpers\n")
    (project / "models" / "uses_macro.sql").write_text("select {{ helpers.three() }} as n\n")

    compile_project(write_floe_yaml(tmp_path, DUCKDB), steps=STEPS)
    assert (project / "dbt_packages" / "helpers").exists()
    assert "uses_macro" in load_manifest(tmp_path / ".floe/dbt/manifest.json").model_names()


def test_no_dbt_transform_means_no_dbt_artifacts(tmp_path: Path, spec_factory: Any) -> None:
    make_spec = spec_factory
    spec = make_spec({"dev": {"type": "duckdb"}})
    ctx = CompileContext(spec, tmp_path / "floe.yaml", tmp_path, tmp_path / ".floe", tmp_path / "stage")
    assert compile_step.run(ctx).dbt is None
    assert not (tmp_path / "stage").exists()


def test_missing_dbt_project_is_a_clear_error(tmp_path: Path, spec_factory: Any) -> None:
    make_spec = spec_factory
    spec = make_spec({"dev": {"type": "duckdb"}}, transforms=[{"type": "dbt", "path": "nowhere"}])
    ctx = CompileContext(spec, tmp_path / "floe.yaml", tmp_path, tmp_path / ".floe", tmp_path / "stage")
    with pytest.raises(FloeError, match=r"transforms path 'nowhere': no dbt_project.yml in"):
        compile_step.run(ctx)


def test_profile_name_comes_from_dbt_project_or_floe_yaml(
    tmp_path: Path, project_files: Any, spec_factory: Any
) -> None:
    write_dbt_project, _ = project_files
    make_spec = spec_factory
    project = write_dbt_project(tmp_path)
    (project / "dbt_project.yml").write_text("name: shop\nversion: '1.0'\nconfig-version: 2\n")
    spec = make_spec({"dev": {"type": "duckdb"}}, transforms=[{"type": "dbt", "path": "dbt"}])
    ctx = CompileContext(spec, tmp_path / "floe.yaml", tmp_path, tmp_path / ".floe", tmp_path / "stage")
    with pytest.raises(FloeError, match=r"has no `profile:`; set it there or set `profile_name`"):
        compile_step.run(ctx)


def _parse_messages(output: Path) -> list[str]:
    log = output / "dbt" / "logs" / "dbt.log"
    return [str(json.loads(line)["info"]["msg"]) for line in log.read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_a_recompile_parses_only_what_changed(tmp_path: Path, project_files: Any) -> None:
    write_dbt_project, write_floe_yaml = project_files
    project = write_dbt_project(tmp_path)
    spec = write_floe_yaml(tmp_path, DUCKDB)
    compile_project(spec, steps=STEPS)
    assert not [m for m in _parse_messages(tmp_path / ".floe") if m.startswith("Partial parsing enabled")]

    model = project / "models" / "order_count.sql"
    model.write_text(model.read_text().replace("count(*) as n", "count(*) as order_total"))
    compile_project(spec, steps=STEPS)

    messages = _parse_messages(tmp_path / ".floe")
    assert any(m.startswith("Partial parsing enabled") and "1 files changed" in m for m in messages), messages
    node = load_manifest(tmp_path / ".floe/dbt/manifest.json").raw["nodes"]["model.shop.order_count"]
    assert "order_total" in node["raw_code"]  # the change is in the new manifest
    assert (tmp_path / ".floe/dbt/partial_parse.msgpack").is_file()  # kept for the next compile


SECRET_SETTING = """compute:
  default: dev
  targets:
    dev:
      type: duckdb
      properties:
        path: warehouse.duckdb
        settings: {memory_limit: "${DUCKDB_MEMORY_SECRET}"}
"""


@pytest.mark.slow
def test_a_secret_in_duckdb_settings_reaches_dbt_but_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_files: Any
) -> None:
    """Issue 16.1: profiles.yml and compiled_artifacts.json hold env_var()/${...}, dbt gets the value."""
    write_dbt_project, write_floe_yaml = project_files
    project = write_dbt_project(tmp_path)
    (project / "models" / "memory.sql").write_text(
        "{{ config(materialized='table') }}\nselect current_setting('memory_limit') as m\n"
    )
    monkeypatch.setenv("DUCKDB_MEMORY_SECRET", "777MB")
    compile_project(write_floe_yaml(tmp_path, SECRET_SETTING), steps=STEPS)
    profile = (tmp_path / ".floe/profiles/profiles.yml").read_text()
    assert "memory_limit: \"{{ env_var('DUCKDB_MEMORY_SECRET') }}\"" in profile
    assert "${DUCKDB_MEMORY_SECRET}" in (tmp_path / ".floe/compiled_artifacts.json").read_text()
    _assert_nowhere(["777MB"], [tmp_path / ".floe"])

    build = run_dbt(
        ["build", "--select", "memory"],
        DbtInvocation(project_dir=project, profiles_dir=tmp_path / ".floe/profiles", target="dev"),
    )
    check(build, "dbt build")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        ((limit,),) = conn.execute("select m from main.memory").fetchall()
    assert limit == "741.0 MiB"  # 777 MB as DuckDB shows it: the value came through env_var()
