"""Real runs on DuckDB: the whole demo, a broken model, partitioned dbt slices (FR-008/009, US1)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DailyPartitionsDefinition,
    StaticPartitionsDefinition,
    materialize,
)
from floe_dagster import FloeDefinitions
from floe_dagster.dbt.assets import DbtAssetsBuilder, slice_specs
from floe_dagster.dbt.load import project_specs
from floe_dagster.observability import Observability
from floe_dagster.project import load_artifacts
from floe_dagster.resources import dbt_resource

pytestmark = pytest.mark.slow

DEMO_ROWS = {
    "bronze.raw_customers": 1000,
    "bronze.raw_products": 200,
    "bronze.raw_orders": 3000,
    "bronze.raw_order_items": 7500,
    "main.stg_customers": 1000,
    "main.stg_products": 200,
    "main.stg_orders": 3000,
    "main.stg_order_items": 7500,
    "main.customer_orders": 1000,
    "main.revenue_by_product": 200,
}


def _counts(db: Path, tables: list[str]) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}  # type: ignore[index]


def test_whole_demo_materializes_with_checks(compiled: Callable[[str], Path]) -> None:
    artifacts = compiled("demo")
    defs = FloeDefinitions.from_compiled_artifacts(artifacts)
    graph = defs.resolve_asset_graph()  # daily-partitioned assets run per partition (tests/orchestration)
    plain = [k for k in graph.materializable_asset_keys if graph.get(k).partitions_def is None]
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=plain
        )
    assert result.success
    materialized = {
        e.event_specific_data.materialization.asset_key.to_user_string()  # type: ignore[union-attr]
        for e in result.get_asset_materialization_events()
    }
    assert materialized == {t.split(".")[1] for t in DEMO_ROWS}
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 21 and all(c.passed for c in checks)
    assert {c.asset_key for c in checks} >= {AssetKey("stg_orders"), AssetKey("revenue_by_product")}
    db = Path(defs.resources["duckdb"].path)  # the file the generated profile points dbt at
    assert db.is_relative_to(artifacts.parent.parent)  # inside the tmp copy
    assert _counts(db, list(DEMO_ROWS)) == DEMO_ROWS
    with duckdb.connect(str(db), read_only=True) as conn:
        revenue = conn.execute("select sum(revenue) from main.revenue_by_product").fetchone()[0]  # type: ignore[index]
        lifetime = conn.execute("select sum(lifetime_revenue) from main.customer_orders").fetchone()[0]  # type: ignore[index]
    assert revenue == lifetime and revenue > 0  # gold tables agree with each other


def test_broken_model_fails_its_asset_skips_downstream_runs_the_rest(compiled: Callable[[str], Path]) -> None:
    artifacts = compiled("shop")
    model = artifacts.parent.parent / "dbt" / "models" / "marts" / "customer_payments.sql"
    model.write_text(model.read_text().replace("c.name,", "c.no_such_column,", 1))
    defs = FloeDefinitions.from_compiled_artifacts(artifacts)
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success
    done = {
        e.event_specific_data.materialization.asset_key.to_user_string()  # type: ignore[union-attr]
        for e in result.get_asset_materialization_events()
    }
    assert {"landing_events", "raw_customers", "raw_payments", "stg_customers", "stg_events"} <= done
    assert {
        "customers_snapshot",
        "current_customers",
        "partition_probe",
    } <= done  # independent of the failure
    assert not {"customer_payments", "customer_activity"} & done  # failed, and skipped downstream
    failures = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert failures, "the dbt step must fail"
    text = "\n".join(str(e.event_specific_data.error) for e in failures)  # type: ignore[union-attr]
    assert "no_such_column" in text and "customer_payments" in text  # dbt's own error message


def test_partitions_split_dbt_into_one_multi_asset_per_definition(compiled: Callable[[str], Path]) -> None:
    artifacts_path = compiled("shop")
    artifacts = load_artifacts(artifacts_path)
    daily = DailyPartitionsDefinition(start_date="2024-01-01")
    regions = StaticPartitionsDefinition(["eu", "us"])
    chosen = {"partition_probe": daily, "customer_payments": regions}
    observer = Observability.from_artifacts(artifacts)
    project = project_specs(artifacts)
    assert project is not None
    slices = slice_specs(project.specs, lambda key: chosen.get(key.to_user_string()), lambda _keys: None)
    built = DbtAssetsBuilder(project, observer).build(slices)
    by_pdef = {a.partitions_def: {k.to_user_string() for k in a.keys} for a in built}
    assert len(built) == 3 and len({a.op.name for a in built}) == 3
    assert by_pdef[daily] == {"partition_probe"}
    assert by_pdef[regions] == {"customer_payments"}
    unpartitioned = by_pdef[None]
    assert "stg_customers" in unpartitioned and not {"partition_probe", "customer_payments"} & unpartitioned
    total = sum(len(a.keys) for a in built)
    assert total == len({k for a in built for k in a.keys})  # every node in exactly one slice

    probe = next(a for a in built if a.partitions_def == daily)
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [probe], partition_key="2024-01-02", resources={"dbt": dbt_resource(artifacts)}, instance=instance
        )
    assert result.success
    db = FloeDefinitions.from_compiled_artifacts(artifacts_path).resources["duckdb"].path
    with duckdb.connect(db, read_only=True) as conn:
        row = conn.execute("select partition_key, partition_start from main.partition_probe").fetchone()
    assert row == ("2024-01-02", "2024-01-02T00:00:00+00:00")  # dbt got the partition through --vars
