"""The asset graph is the dbt DAG (SC-003), with floe's metadata on every dbt asset (FR-006/007/010)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dagster import AssetKey, TableSchema
from floe_dagster import FloeDefinitions
from floe_dagster.dbt.graph_check import asset_graph_mismatches
from floe_dagster.project import load_manifest

pytestmark = pytest.mark.slow  # compiling runs `dbt parse`

DEMO_DBT = [
    "stg_customers",
    "stg_orders",
    "stg_products",
    "stg_order_items",
    "customer_orders",
    "revenue_by_product",
]
DEMO_BRONZE = ["raw_customers", "raw_orders", "raw_products", "raw_order_items"]


def _parents(defs: object, name: str) -> set[str]:
    graph = defs.resolve_asset_graph()  # type: ignore[attr-defined]
    return {k.to_user_string() for k in graph.get(AssetKey.from_user_string(name)).parent_keys}


@pytest.mark.parametrize("project", ["demo", "shop", "warehouse"])
def test_asset_graph_equals_manifest_dag(shared: Callable[[str], Path], project: str) -> None:
    artifacts = shared(project)
    defs = FloeDefinitions.from_compiled_artifacts(artifacts)
    manifest = load_manifest(artifacts.parent / "dbt" / "manifest.json")
    assert asset_graph_mismatches(defs, manifest.raw) == []


def test_mismatch_is_reported(shared: Callable[[str], Path]) -> None:
    artifacts = shared("shop")
    defs = FloeDefinitions.from_compiled_artifacts(artifacts)
    manifest = dict(load_manifest(artifacts.parent / "dbt" / "manifest.json").raw)
    parent_map = dict(manifest["parent_map"])
    parent_map["model.shop.customer_activity"] = ["model.shop.stg_events"]  # drop one real edge
    manifest["parent_map"] = parent_map
    problems = asset_graph_mismatches(defs, manifest)
    assert problems == ["customer_activity: missing deps [], unexpected deps ['customer_payments']"]


def test_demo_is_one_graph_bronze_to_gold(shared: Callable[[str], Path]) -> None:
    defs = FloeDefinitions.from_compiled_artifacts(shared("demo"))
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    daily = {"raw_daily_orders", "fct_daily_orders"}  # the daily-partitioned pair (tests/orchestration)
    assert keys == set(DEMO_DBT) | set(DEMO_BRONZE) | daily  # no wrapper assets, no dangling source stubs
    assert _parents(defs, "stg_customers") == {"raw_customers"}
    assert _parents(defs, "revenue_by_product") == {"stg_products", "stg_order_items", "stg_orders"}
    assert {graph.get(AssetKey(n)).group_name for n in DEMO_BRONZE} == {"bronze"}
    assert graph.get(AssetKey("raw_orders")).kinds == {"python", "duckdb"}
    assert graph.get(AssetKey("stg_orders")).group_name == "silver"
    assert graph.get(AssetKey("customer_orders")).group_name == "gold"


def test_ephemeral_models_are_looked_through(shared: Callable[[str], Path]) -> None:
    defs = FloeDefinitions.from_compiled_artifacts(shared("shop"))
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert not {"eph_payments", "eph_valid_payments"} & keys
    assert _parents(defs, "customer_payments") == {"stg_customers", "raw_payments"}  # via two ephemerals
    assert _parents(defs, "current_customers") == {"customers_snapshot"}
    assert _parents(defs, "stg_events") == {"landing_events"}  # dbt meta dagster.asset_key -> Python asset


def test_dbt_metadata_owners_classifications_checks(shared: Callable[[str], Path]) -> None:
    defs = FloeDefinitions.from_compiled_artifacts(shared("demo"))
    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey("stg_customers"))
    assert node.description is not None and node.description.startswith("Customers, cleaned")
    assert node.owners == ["team:data-platform"]  # dbt meta.owner "data-platform"
    assert graph.get(AssetKey("customer_orders")).owners == ["analytics@example.com"]
    assert node.metadata["floe/classifications"].value == {"email": "pii", "phone": "pii"}
    schema = node.metadata["dagster/column_schema"]
    assert isinstance(schema, TableSchema)
    by_name = {c.name: c for c in schema.columns}
    assert by_name["email"].tags == {"classification": "pii"}
    assert by_name["customer_id"].type == "integer"
    assert by_name["signup_date"].description == "Day the customer signed up."
    checks = {c.name for c in graph.asset_check_keys if c.asset_key == AssetKey("stg_orders")}
    assert {"unique_stg_orders_order_id", "not_null_stg_orders_order_id"} <= checks
    assert any(name.startswith("relationships_stg_orders_customer_id") for name in checks)
    assert any(name.startswith("accepted_values_stg_orders_status") for name in checks)


def test_group_owner_and_custom_schema_keys(shared: Callable[[str], Path]) -> None:
    defs = FloeDefinitions.from_compiled_artifacts(shared("warehouse"))
    graph = defs.resolve_asset_graph()
    fct = graph.get(AssetKey(["analytics", "fct_orders"]))
    assert fct.group_name == "finance" and fct.owners == ["finance@example.com"]
    assert graph.get(AssetKey("stg_customers")).owners == ["team:sales"]  # dbt group owner without email
    assert _parents(defs, "stg_orders") == {"ingest/erp_orders"}  # floe.yaml orchestration.dbt.sources
