"""Shared by tests/orchestration (imported as `orch_support`): a compiled floe project in tmp_path and
its Definitions."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from dagster import Definitions

ROOT = Path(__file__).resolve().parents[2]
DEMO_ENV = {"FLOE_DUCKDB_PATH": ".floe/demo.duckdb", "FLOE_SCHEDULES_ON": "false"}  # the demo, schedules off
FLOE = str(Path(sys.executable).with_name("floe"))

HEADER = """\
name: orch_test
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb, properties: {path: warehouse.duckdb}}
"""

ASSETS = '''
from dagster import AssetExecutionContext, MaterializeResult, asset

from floe_dagster import DuckDBResource


def _window(context: AssetExecutionContext) -> tuple[str, str]:
    window = context.partition_time_window
    return window.start.strftime("%Y-%m-%d"), window.end.strftime("%Y-%m-%d")


@asset(group_name="bronze")
def raw_events(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    """One row per hour of each day in the run's window (partitioned by floe.yaml rules)."""
    start, end = _window(context)
    with duckdb.connect() as conn:
        conn.execute("create table if not exists raw_events (day date, hour integer)")
        conn.execute("delete from raw_events where day >= ?::date and day < ?::date", [start, end])
        conn.execute(
            "insert into raw_events select d::date, h"
            " from range(?::timestamp, ?::timestamp, interval 1 day) t(d), range(24) r(h)",
            [start, end],
        )
    return MaterializeResult(metadata={"window": f"{start}..{end}"})


@asset(group_name="silver", deps=[raw_events])
def daily_counts(context: AssetExecutionContext, duckdb: DuckDBResource) -> None:
    start, end = _window(context)
    with duckdb.connect() as conn:
        conn.execute("create table if not exists daily_counts (day date, n integer)")
        conn.execute("delete from daily_counts where day >= ?::date and day < ?::date", [start, end])
        conn.execute(
            "insert into daily_counts select day, count(*) from raw_events"
            " where day >= ?::date and day < ?::date group by day",
            [start, end],
        )


@asset(group_name="gold", deps=[daily_counts])
def report(duckdb: DuckDBResource) -> None:
    with duckdb.connect() as conn:
        conn.execute("create or replace table report as select count(*) as days from daily_counts")


@asset(group_name="regions")
def regional(context: AssetExecutionContext) -> str:
    return context.partition_key
'''


def write_project(root: Path, orchestration: str, assets: str = ASSETS) -> Path:
    """floe.yaml + assets.py in `root`; returns floe.yaml. `orchestration` is the section body (YAML)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "assets.py").write_text(assets, encoding="utf-8")
    body = textwrap.indent(textwrap.dedent(orchestration).strip("\n"), "  ")
    spec = root / "floe.yaml"
    spec.write_text(f"{HEADER}orchestration:\n  asset_modules: [assets.py]\n{body}\n", encoding="utf-8")
    return spec


def floe(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FLOE, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600, check=False
    )


def compile_project(root: Path, with_dbt: bool = False) -> Path:
    """`floe compile` (subprocess) for dbt projects; in-process without compile steps otherwise."""
    if with_dbt:
        done = floe("compile", "-c", str(root / "floe.yaml"), cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
    else:
        from floe_core.compiler import compile_project as compile_in_process
        from floe_dbt.compile_step import run as floe_dbt_step  # without a dbt transform: no dbt call

        compile_in_process(root / "floe.yaml", steps={"dbt": floe_dbt_step})
    return root / ".floe" / "compiled_artifacts.json"


def load_defs(artifacts: Path) -> Definitions:
    from floe_core.artifacts import CompiledArtifacts
    from floe_dagster.definitions import build_definitions

    return build_definitions(CompiledArtifacts.load(artifacts))


def project_defs(root: Path, orchestration: str, assets: str = ASSETS) -> Definitions:
    write_project(root, orchestration, assets)
    return load_defs(compile_project(root))
