"""A floe.yaml batch job materializes its dbt models through an op of its own (floe_dagster.job_scope), so
what Dagster builds and snapshots for the job is the job's size, not the dbt project's."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import AssetKey, AssetsDefinition, AssetSpec, BackfillPolicy, DagsterInstance, JobDefinition
from dagster_internals import NodeHandle
from floe_dagster.orchestration import job_scope
from floe_projects import compile_project
from orch_support import DEMO_ENV, load_defs

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo_job_scope")]
BRONZE = {"raw_customers", "raw_orders", "raw_products", "raw_order_items"}
SILVER = {"stg_customers", "stg_orders", "stg_products", "stg_order_items"}
GOLD = {"customer_orders", "revenue_by_product"}


def _names(keys: object) -> set[str]:
    return {k.to_user_string() for k in keys}  # type: ignore[attr-defined]


def _tables(db: str) -> set[str]:
    with duckdb.connect(db, read_only=True) as conn:
        return {r[0] for r in conn.execute("select table_name from information_schema.tables").fetchall()}


@pytest.fixture(scope="module")
def demo_gold_job(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plus `gold_only`, a job of dbt models only: gold, whose parents are silver dbt models."""
    project = Path(shutil.copytree(demo_template, tmp_path_factory.mktemp("gold") / "demo"))
    spec = project / "floe.yaml"
    job = '    gold_only: {type: batch, selection: "group:gold", run_tags: {team: finance}}\n'
    spec.write_text(spec.read_text().replace("  jobs:\n", "  jobs:\n" + job, 1))
    compile_project(project, env=DEMO_ENV)
    return project


def test_a_batch_job_runs_only_its_dbt_models_through_its_own_op(demo: Path) -> None:
    defs = load_defs(demo / ".floe" / "compiled_artifacts.json")
    job = defs.resolve_job_def("bronze_and_silver")  # floe.yaml: "group:bronze or group:silver"

    dbt_node = job.graph.node_named("dbt_demo__bronze_and_silver")
    dbt_op = job.asset_layer.get_assets_def_for_node(NodeHandle(dbt_node.name, None))
    assert dbt_op is not None
    assert _names(dbt_op.node_keys_by_output_name.values()) == SILVER  # the job's models: gold is no output
    assert {c.asset_key.to_user_string() for c in dbt_op.check_specs} == SILVER  # and their dbt tests
    assert _names(job.asset_layer.executable_asset_keys) == BRONZE | SILVER
    # the project's own multi-asset is untouched: the global asset job still has every model
    global_job = defs.resolve_implicit_global_asset_job_def()
    whole = global_job.asset_layer.get_assets_def_for_node(NodeHandle("dbt_demo", None))
    assert whole is not None and _names(whole.node_keys_by_output_name.values()) >= SILVER | GOLD

    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance)
    assert result.success
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}  # type: ignore[union-attr]
    assert done == BRONZE | SILVER
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    assert {c.asset_key.to_user_string() for c in checks} <= SILVER
    tables = _tables(str((defs.resources or {})["duckdb"].path))
    assert tables >= SILVER and not GOLD & tables  # dbt built exactly the job's models


def test_a_partitioned_job_keeps_its_partitions_and_backfill_policy(demo: Path) -> None:
    defs = load_defs(demo / ".floe" / "compiled_artifacts.json")
    job = defs.resolve_job_def("daily_orders")  # floe.yaml: group:daily, daily partitions, 31 per run
    assert job.partitions_def is not None and job.partitions_def.get_first_partition_window() is not None
    dbt_node = job.graph.node_named("dbt_demo_1__daily_orders")
    assets_def = job.asset_layer.get_assets_def_for_node(NodeHandle(dbt_node.name, None))
    assert assets_def is not None
    assert _names(assets_def.node_keys_by_output_name.values()) == {"fct_daily_orders"}
    assert assets_def.backfill_policy == BackfillPolicy.multi_run(31)
    assert assets_def.partitions_def == job.partitions_def
    assert job.asset_layer.get(AssetKey("raw_daily_orders")).partitions_def == job.partitions_def


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_paused_while_definitions_build_and_restored_after(
    demo: Path, enabled_before: bool
) -> None:
    """floe_dagster.gc_pause: no cyclic collection pass during the build; the caller's setting is kept."""
    from floe_core.artifacts import CompiledArtifacts
    from floe_dagster.definitions import build_definitions

    artifacts = CompiledArtifacts.load(demo / ".floe" / "compiled_artifacts.json")
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    def passes_during(build: Callable[[], object]) -> int:
        before = len(passes)
        build()
        return len(passes) - before

    thresholds = gc.get_threshold()
    gc.callbacks.append(count)
    try:
        gc.set_threshold(100, 10, 10)  # frequent passes, so that their absence means something
        gc.enable()
        unpaused = passes_during(lambda: build_definitions.__wrapped__(artifacts))  # type: ignore[attr-defined]
        (gc.enable if enabled_before else gc.disable)()
        paused = passes_during(lambda: build_definitions(artifacts))
        after_enabled = gc.isenabled()
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*thresholds)
        gc.enable()
    assert unpaused >= 10  # the same build without the pause: the collector runs all along
    assert paused <= 1  # at most one young-generation pass while entering or leaving the pause
    assert after_enabled is enabled_before
    job = build_definitions(artifacts).resolve_job_def("bronze_and_silver")
    assert _names(job.asset_layer.executable_asset_keys) == BRONZE | SILVER


def test_a_dbt_only_job_is_built_directly_as_its_repository_would_resolve_it(
    demo_gold_job: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """job_scope.dbt_only_job skips the temporary repository; the job it builds is the same job."""
    artifacts = demo_gold_job / ".floe" / "compiled_artifacts.json"
    direct_builds: list[str] = []
    build_directly = job_scope.dbt_only_job

    def spy(name: str, *args: Any, **kwargs: Any) -> JobDefinition:
        direct_builds.append(name)
        return build_directly(name, *args, **kwargs)

    def through_a_repository(
        name: str,
        scoped: Sequence[AssetsDefinition],
        upstream: Sequence[AssetSpec],
        resources: Mapping[str, object],
        *,
        labels: job_scope.JobLabels,
    ) -> JobDefinition:
        keys = [k for a in scoped for k in a.keys]
        return job_scope.resolved_in_repository(
            name, keys, [*scoped, *upstream], [], resources, labels=labels
        )

    monkeypatch.setattr(job_scope, "dbt_only_job", spy)
    direct = load_defs(artifacts)
    assert direct_builds == ["gold_only"]  # the demo's other batch jobs hold Python assets: a repository
    monkeypatch.setattr(job_scope, "dbt_only_job", through_a_repository)
    resolved = load_defs(artifacts)
    for name in ("gold_only", "bronze_and_silver", "daily_orders"):
        mine, dagsters = direct.resolve_job_def(name), resolved.resolve_job_def(name)
        # the snapshot id hashes the job's ops, outputs, dependencies, config schema, resources and tags
        assert mine.get_job_snapshot_id() == dagsters.get_job_snapshot_id(), name
        assert mine.asset_layer.executable_asset_keys == dagsters.asset_layer.executable_asset_keys
        assert mine.partitions_def == dagsters.partitions_def
        assert mine.run_tags == dagsters.run_tags
    gold = direct.resolve_job_def("gold_only")
    assert _names(gold.asset_layer.executable_asset_keys) == GOLD
    assert gold.run_tags["team"] == "finance"


def test_a_dbt_only_job_runs_its_models_and_a_subset_of_them(demo_gold_job: Path, tmp_path: Path) -> None:
    project = Path(shutil.copytree(demo_gold_job, tmp_path / "demo"))
    defs = load_defs(project / ".floe" / "compiled_artifacts.json")
    db = str((defs.resources or {})["duckdb"].path)
    with DagsterInstance.ephemeral() as instance:
        assert defs.resolve_job_def("bronze_and_silver").execute_in_process(instance=instance).success
        assert not GOLD & _tables(db)
        gold = defs.resolve_job_def("gold_only")
        result = gold.execute_in_process(instance=instance)
        assert result.success
        done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}  # type: ignore[union-attr]
        assert done == GOLD
        assert result.dagster_run.tags["team"] == "finance"
        checks = result.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks)
        assert {c.asset_key.to_user_string() for c in checks} <= GOLD
        assert _tables(db) >= GOLD

        one = gold.get_subset(asset_selection={AssetKey("customer_orders")})  # e.g. re-executing one step
        again = one.execute_in_process(instance=instance)
        assert again.success
        redone = {e.asset_key.to_user_string() for e in again.get_asset_materialization_events()}  # type: ignore[union-attr]
        assert redone == {"customer_orders"}
