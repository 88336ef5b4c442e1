"""A cycle among assets is a floe error at load naming the assets in order (issue 16.7), not toposort's raw
CircularDependencyError when the webserver resolves a job."""

from dagster import AssetDep, AssetSpec, asset
from floe_dagster.orchestration.plan import dependency_cycles


@asset(deps=["stg_orders"])
def raw_orders() -> None: ...


@asset(deps=["raw_orders"])
def enriched() -> None: ...


def test_a_cycle_through_a_dbt_model_is_named_in_order() -> None:
    stg = AssetSpec("stg_orders", deps=[AssetDep("raw_orders")])
    (issue,) = dependency_cycles([raw_orders, enriched], [stg])
    assert issue.path == "orchestration.asset_modules"
    assert "a cycle: raw_orders -> stg_orders -> raw_orders" in issue.message


def test_no_cycle_no_issue() -> None:
    assert dependency_cycles([enriched], [AssetSpec("stg_orders")]) == []
