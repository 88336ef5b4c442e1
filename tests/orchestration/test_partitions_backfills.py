"""Partitioned runs touch only their partition (SC-006); a 100+ partition backfill completes in batches
(SC-007); ops jobs run with parameters; `floe partitions` / `floe backfill` work on $DAGSTER_HOME."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, DagsterRunStatus, Definitions, RunsFilter
from floe_core.errors import FloeError
from floe_dagster.orchestration.backfills import BACKFILL_TAG, run_backfill
from orch_support import compile_project, floe, project_defs, write_project

DAILY = """
partitions:
  daily: {type: time_window, start: 2024-01-01, end: 2024-06-01}
  tenants: {type: dynamic}
assets:
  - {select: [raw_events, daily_counts], partitions: daily, backfill_policy: {max_partitions_per_run: 30}}
  - {select: regional, partitions: tenants}
jobs:
  daily_pipeline: {type: batch, keys: [raw_events, daily_counts]}
  per_tenant: {type: batch, keys: [regional]}
  maintenance:
    type: ops
    target: maint.py:prune
    params: {retention_days: 30}
backfills:
  history: {job: daily_pipeline, start: 2024-01-01, end: 2024-04-30, batch_size: 30}
  few: {job: daily_pipeline, keys: [2024-02-01, 2024-02-02, 2024-02-05], batch_size: 10}
  tenants_all: {job: per_tenant, keys: [acme]}
"""

MAINT = """
from floe_dagster import DuckDBResource

def prune(duckdb: DuckDBResource, retention_days: int, context=None) -> dict:
    with duckdb.connect() as conn:
        (before,) = conn.execute("select count(*) from raw_events").fetchone()
        conn.execute("delete from raw_events where day < date '2024-05-31' - ?::integer", [retention_days])
        (after,) = conn.execute("select count(*) from raw_events").fetchone()
        conn.execute("checkpoint")
    return {"deleted": before - after, "retention_days": retention_days}
"""


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_one_partition_run_touches_only_that_day(tmp_path: Path, instance: DagsterInstance) -> None:
    defs = daily_defs(tmp_path)
    job = defs.resolve_job_def("daily_pipeline")
    assert job.execute_in_process(instance=instance, partition_key="2024-03-05").success
    db = tmp_path / "warehouse.duckdb"
    assert rows(db, "select day::varchar, count(*) from raw_events group by 1") == [("2024-03-05", 24)]
    assert job.execute_in_process(instance=instance, partition_key="2024-03-06").success
    assert job.execute_in_process(instance=instance, partition_key="2024-03-05").success  # idempotent
    assert rows(db, "select day::varchar, n from daily_counts order by 1") == [
        ("2024-03-05", 24),
        ("2024-03-06", 24),
    ]


def test_backfill_of_121_days_runs_in_batches(tmp_path: Path, instance: DagsterInstance) -> None:
    defs = daily_defs(tmp_path)
    config = load_config(tmp_path)
    seen: list[tuple[int, int, str]] = []
    report = run_backfill(
        defs, config, "history", instance, progress=lambda i, n, r: seen.append((i, n, r.status))
    )
    assert report.ok
    assert [len(r.keys) for r in report.results] == [30, 30, 30, 30, 1]
    assert seen[-1] == (5, 5, "SUCCESS")
    db = tmp_path / "warehouse.duckdb"
    assert rows(
        db, "select count(*), min(n), max(n), min(day)::varchar, max(day)::varchar from daily_counts"
    ) == [(121, 24, 24, "2024-01-01", "2024-04-30")]
    runs = instance.get_run_records(
        RunsFilter(tags={BACKFILL_TAG: "history"}, statuses=[DagsterRunStatus.SUCCESS])
    )
    assert len(runs) == 5
    again = run_backfill(defs, config, "history", instance)  # resumable: done batches are skipped
    assert {r.status for r in again.results} == {"SKIPPED"}


def test_backfill_of_explicit_keys_keeps_ranges_contiguous(tmp_path: Path, instance: DagsterInstance) -> None:
    defs = daily_defs(tmp_path)
    report = run_backfill(defs, load_config(tmp_path), "few", instance)
    assert [r.keys for r in report.results] == [["2024-02-01", "2024-02-02"], ["2024-02-05"]]
    db = tmp_path / "warehouse.duckdb"
    assert rows(db, "select day::varchar from daily_counts order by 1") == [
        ("2024-02-01",),
        ("2024-02-02",),
        ("2024-02-05",),
    ]


def test_dynamic_backfill_needs_keys_in_the_instance(tmp_path: Path, instance: DagsterInstance) -> None:
    defs = daily_defs(tmp_path)
    with pytest.raises(FloeError, match="unknown partition keys"):
        run_backfill(defs, load_config(tmp_path), "tenants_all", instance)
    instance.add_dynamic_partitions("tenants", ["acme"])
    assert run_backfill(defs, load_config(tmp_path), "tenants_all", instance).ok


def test_runs_made_for_a_submitted_backfill_count_as_done(tmp_path: Path, instance: DagsterInstance) -> None:
    """The daemon's runs of `floe backfill --submit` carry floe/backfill and Dagster's own partition tags, not
    floe's batch labels: the in-process path still sees their partitions as done (issue 16.12)."""
    defs = daily_defs(tmp_path)
    job = defs.resolve_job_def("daily_pipeline")
    daemon_like = {BACKFILL_TAG: "few", "dagster/backfill": "abcdefgh"}
    assert job.execute_in_process(instance=instance, partition_key="2024-02-01", tags=daemon_like).success
    assert job.execute_in_process(instance=instance, partition_key="2024-02-02", tags=daemon_like).success
    report = run_backfill(defs, load_config(tmp_path), "few", instance)
    assert [(r.keys, r.status) for r in report.results] == [
        (["2024-02-01", "2024-02-02"], "SKIPPED"),
        (["2024-02-05"], "SUCCESS"),
    ]
    assert report.summary() == "backfill few: 3 partition(s): 1 run(s), 1 batch(es) already done, 0 failed"


def test_ops_job_applies_its_parameters(tmp_path: Path, instance: DagsterInstance) -> None:
    defs = daily_defs(tmp_path)
    daily = defs.resolve_job_def("daily_pipeline")
    for day in ("2024-04-01", "2024-05-20"):
        assert daily.execute_in_process(instance=instance, partition_key=day).success
    maintenance = defs.resolve_job_def("maintenance")
    config = {"ops": {"maintenance_op": {"config": {"retention_days": 20}}}}
    result = maintenance.execute_in_process(instance=instance, run_config=config)
    assert result.success
    assert result.output_for_node("maintenance_op") == {"deleted": 24, "retention_days": 20}
    assert rows(tmp_path / "warehouse.duckdb", "select distinct day::varchar from raw_events") == [
        ("2024-05-20",)
    ]


def daily_defs(root: Path) -> Definitions:
    root.mkdir(parents=True, exist_ok=True)
    (root / "maint.py").write_text(MAINT)
    return project_defs(root, DAILY)


def load_config(root: Path):  # type: ignore[no-untyped-def]
    from floe_core.artifacts import CompiledArtifacts

    return CompiledArtifacts.load(root / ".floe" / "compiled_artifacts.json").spec.orchestration


@pytest.mark.slow
def test_cli_partitions_and_backfill(tmp_path: Path) -> None:
    (tmp_path / "maint.py").write_text(MAINT)
    write_project(
        tmp_path, DAILY.replace("end: 2024-04-30, batch_size: 30", "end: 2024-01-10, batch_size: 5")
    )
    compile_project(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    added = floe("partitions", "add", "tenants", "acme", "globex", cwd=tmp_path, env=env)
    assert added.returncode == 0, added.stderr
    assert "tenants: 2 key(s)" in added.stdout
    removed = floe("partitions", "remove", "tenants", "acme", cwd=tmp_path, env=env)
    assert removed.stdout.splitlines()[0] == "globex"
    hostile = floe("partitions", "add", "tenants", "ok", "x'; drop table t; --", cwd=tmp_path, env=env)
    assert hostile.returncode == 1 and "Traceback" not in hostile.stderr
    assert 'refused key(s) "x\'; drop table t; --"' in hostile.stderr
    listed = floe("partitions", "list", "tenants", cwd=tmp_path, env=env)
    assert listed.stdout.splitlines() == ["globex", "tenants: 1 key(s)"]  # nothing of the refused call added
    static = floe("partitions", "add", "daily", "x", cwd=tmp_path, env=env)
    assert static.returncode == 1 and "not dynamic" in static.stderr and "Traceback" not in static.stderr
    done = floe("backfill", "history", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[2/2] 2024-01-06..2024-01-10: SUCCESS" in done.stdout
    assert "backfill history: 10 partition(s): 2 run(s), 0 failed" in done.stdout
    assert "DEBUG" not in done.stdout and "STEP_SUCCESS" not in done.stdout  # the event stream is in the UI
    again = floe("backfill", "history", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "[1/2] 2024-01-01..2024-01-05: SKIPPED (already succeeded)" in again.stdout
    assert "backfill history: 10 partition(s): 0 run(s), 2 batch(es) already done, 0 failed" in again.stdout
    with DagsterInstance.from_config(str(home)) as inst:
        assert len(inst.get_run_records(RunsFilter(tags={BACKFILL_TAG: "history"}))) == 2
    unknown = floe("backfill", "nope", cwd=tmp_path, env=env)
    assert unknown.returncode == 1 and "unknown backfill 'nope'" in unknown.stderr
