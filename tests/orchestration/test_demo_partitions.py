"""The demo's daily partitions: `raw_daily_orders` (Python) -> `fct_daily_orders` (incremental dbt) under
floe.yaml's `daily` rule; one partition writes one day (SC-006), `floe backfill q1_2024` fills the quarter
in three range runs, and run_all.py copes with partitioned assets. floe.yaml's orchestration stays short."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance
from floe_projects import DEMO
from orch_support import DEMO_ENV as ENV
from orch_support import floe, load_defs

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo_partitions")]


def test_orchestration_section_is_under_50_lines() -> None:  # SC-001
    lines = (DEMO / "floe.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("orchestration:")
    section = [line for line in lines[start + 1 :] if line.startswith("  ") or not line.strip()]
    assert len(section) < 50


def query(db: str, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(db, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def per_day(db: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(fct_daily_orders rows, the same computed from bronze) — they must agree day by day."""
    fct = query(db, "select order_date, orders, revenue from fct_daily_orders order by 1")
    bronze = query(
        db, "select order_date, count(*), sum(amount) from bronze.raw_daily_orders group by 1 order by 1"
    )
    return fct, bronze


def test_one_partition_then_the_quarter_backfill(demo: Path, tmp_path: Path) -> None:
    defs = load_defs(demo / ".floe" / "compiled_artifacts.json")
    db = (defs.resources or {})["duckdb"].path
    job = defs.resolve_job_def("daily_orders")
    with DagsterInstance.ephemeral() as instance:
        assert job.execute_in_process(instance=instance, partition_key="2024-02-29").success
    fct, bronze = per_day(db)
    assert [row[0] for row in fct] == [date(2024, 2, 29)] and fct == bronze  # only that day (SC-006)

    home = tmp_path / "dagster_home"
    home.mkdir()
    done = floe("backfill", "q1_2024", cwd=demo, env={**os.environ, **ENV, "DAGSTER_HOME": str(home)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[1/3] 2024-01-01..2024-01-31: SUCCESS" in done.stdout
    assert "[3/3] 2024-03-03..2024-03-31: SUCCESS" in done.stdout
    assert "backfill q1_2024: 91 partition(s): 3 run(s), 0 failed" in done.stdout
    fct, bronze = per_day(db)
    assert len(fct) == 91 and fct == bronze  # every day once, matching its bronze rows
    assert (fct[0][0], fct[-1][0]) == (date(2024, 1, 1), date(2024, 3, 31))


def test_run_all_materializes_plain_assets_and_the_last_week(demo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "run_all.py"],
        cwd=demo,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "run succeeded" in done.stdout
    assert "main.customer_orders: 1000 rows" in done.stdout
    assert "main.fct_daily_orders: 7 rows" in done.stdout  # 2024-03-25 .. 2024-03-31, one range run
