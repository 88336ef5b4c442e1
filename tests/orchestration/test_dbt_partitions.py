"""Partitioned dbt for real (project: tests/orchestration/projects/daily_orders): the dbt project splits into
a daily-partitioned and an unpartitioned multi-asset that coexist; one partition processes only that day's
rows (SC-006); `floe backfill` of 121 days completes in batches with the right rows per day (SC-007)."""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, Definitions, RunsFilter
from floe_dagster.compat import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from floe_dagster.compat import DBT_UNIQUE_ID_METADATA_KEY as UNIQUE_ID_METADATA_KEY
from floe_dagster.orchestration.backfills import BACKFILL_TAG
from orch_support import compile_project, floe, load_defs

FCT = "select order_date, orders, revenue, partition_key from fct_daily_orders order by 1"
PROJECT = Path(__file__).parent / "projects" / "daily_orders"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt_partitions")]


def orders_on(day: date) -> int:
    """What orders.py generates for `day` (kept independent of the project's code on purpose)."""
    return 1 + day.timetuple().tm_yday % 7


def revenue_on(day: date) -> int:
    return sum(10 * (n + 1) for n in range(orders_on(day)))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project compiled once (`floe compile` runs `dbt parse`, the slow part); tests copy it."""
    root = tmp_path_factory.mktemp("daily_orders") / "project"
    shutil.copytree(PROJECT, root)
    compile_project(root, with_dbt=True)
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    """A private copy (own DuckDB file): compiled artifacts use paths relative to the project."""
    return Path(shutil.copytree(template, tmp_path / "project"))


def defs_of(project: Path) -> Definitions:
    return load_defs(project / ".floe" / "compiled_artifacts.json")


def database(defs: Definitions) -> str:
    path = (defs.resources or {})["duckdb"].path
    assert isinstance(path, str)
    return path


def query(db: str, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(db, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_dbt_project_splits_into_partitioned_and_unpartitioned_multi_assets(project: Path) -> None:
    defs = defs_of(project)
    graph = defs.resolve_asset_graph()
    dbt_defs = [
        a
        for a in graph.assets_defs
        if any(UNIQUE_ID_METADATA_KEY in spec.metadata for spec in a.specs) and a.is_executable
    ]
    by_keys = {frozenset(k.to_user_string() for k in a.keys): a for a in dbt_defs}
    assert set(by_keys) == {frozenset({"fct_daily_orders"}), frozenset({"dim_status"})}
    partitioned = by_keys[frozenset({"fct_daily_orders"})]
    plain = by_keys[frozenset({"dim_status"})]
    daily = graph.get(AssetKey("raw_orders")).partitions_def
    assert daily is not None and partitioned.partitions_def == daily  # the same `daily` as the bronze asset
    assert plain.partitions_def is None
    assert partitioned.op.name != plain.op.name
    policy = partitioned.backfill_policy
    assert policy is not None and policy.max_partitions_per_run == 30
    upstream = graph.get(next(iter(partitioned.keys))).parent_keys
    assert {k.to_user_string() for k in upstream} == {"raw_orders"}  # the dbt source maps to the Python asset

    assert defs.resolve_job_def("daily_orders").partitions_def == daily
    reference = defs.resolve_job_def("reference")
    assert reference.partitions_def is None
    with DagsterInstance.ephemeral() as instance:
        assert reference.execute_in_process(instance=instance).success  # no partition vars: still runs
    assert query(database(defs), "select status, label from dim_status order by 1") == [
        ("placed", "Placed"),
        ("shipped", "Shipped"),
    ]


def test_one_partition_processes_only_that_day(project: Path) -> None:
    defs = defs_of(project)
    job = defs.resolve_job_def("daily_orders")
    db = database(defs)
    march5, march6 = date(2024, 3, 5), date(2024, 3, 6)
    with DagsterInstance.ephemeral() as instance:

        def run(key: str) -> bool:
            return job.execute_in_process(instance=instance, partition_key=key).success

        assert run("2024-03-05")
        assert query(db, "select order_date, count(*) from bronze.raw_orders group by 1") == [
            (march5, orders_on(march5))
        ]
        assert query(db, "select * from fct_daily_orders") == [
            (march5, orders_on(march5), revenue_on(march5), "2024-03-05")
        ]
        # A bronze row outside the next partition must not reach dbt: the model filters on the window.
        with duckdb.connect(db) as conn:
            conn.execute("insert into bronze.raw_orders values ('stray', date '2024-03-20', 999, 'placed')")
        assert run("2024-03-06")
        assert run("2024-03-05")  # re-running a day replaces it (delete+insert), nothing doubles
    assert query(db, FCT) == [
        (march5, orders_on(march5), revenue_on(march5), "2024-03-05"),
        (march6, orders_on(march6), revenue_on(march6), "2024-03-06"),
    ]
    assert query(db, "select count(*) from bronze.raw_orders where order_date = date '2024-03-05'") == [
        (orders_on(march5),)
    ]


def test_cli_backfill_of_121_days_runs_batches_with_the_right_rows(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    done = floe("backfill", "history", cwd=project, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    batch_starts = [date(2024, 1, 1) + timedelta(days=25 * i) for i in range(5)]
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(121)]  # 2024-01-01 .. 2024-04-30
    lines = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert [line.split(":")[0] for line in lines] == [
        "[1/5] 2024-01-01..2024-01-25",
        "[2/5] 2024-01-26..2024-02-19",
        "[3/5] 2024-02-20..2024-03-15",
        "[4/5] 2024-03-16..2024-04-09",
        "[5/5] 2024-04-10..2024-04-30",
    ]
    assert all(": SUCCESS (run " in line for line in lines)
    assert "backfill history: 121 partition(s): 5 run(s), 0 failed" in done.stdout

    db = database(defs_of(project))
    expected = [
        (day, orders_on(day), revenue_on(day), max(s for s in batch_starts if s <= day).isoformat())
        for day in days
    ]  # partition_key: each batch was ONE dbt run over its whole window (range start in --vars)
    assert query(db, FCT) == expected
    assert query(db, "select count(*) from bronze.raw_orders") == [(sum(orders_on(d) for d in days),)]

    with DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records(RunsFilter(tags={BACKFILL_TAG: "history"}))
        assert {r.dagster_run.status for r in records} == {DagsterRunStatus.SUCCESS}
        tags = [r.dagster_run.tags for r in records]
    ranges = sorted((t[ASSET_PARTITION_RANGE_START_TAG], t[ASSET_PARTITION_RANGE_END_TAG]) for t in tags)
    assert ranges == [
        ("2024-01-01", "2024-01-25"),
        ("2024-01-26", "2024-02-19"),
        ("2024-02-20", "2024-03-15"),
        ("2024-03-16", "2024-04-09"),
        ("2024-04-10", "2024-04-30"),
    ]
    again = floe("backfill", "history", cwd=project, env=env)  # resumes: nothing left to run
    assert again.returncode == 0 and again.stdout.count(": SKIPPED") == 5, again.stdout + again.stderr
    with DagsterInstance.from_config(str(home)) as instance:
        assert len(instance.get_run_records(RunsFilter(tags={BACKFILL_TAG: "history"}))) == 5
