"""A dbt step refuses a dynamic partition key outside its safe alphabet before dbt runs (issue 16.9): keys
added from the UI skip `floe partitions add` and would reach SQL through --vars."""

import json

import pytest
from dagster import (
    AssetExecutionContext,
    DagsterInstance,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    asset,
    materialize,
)
from floe_core.errors import FloeError
from floe_dagster.dbt.invocation import check_dynamic_keys, partition_vars_args

TENANTS = DynamicPartitionsDefinition(name="tenants")
HOSTILE = "acme'; drop table orders; --"


def _run(partitions_def: object, key: str | MultiPartitionKey, patterns: dict[str, str]) -> list[str]:
    """What the step would give dbt, from a real step context (or the FloeError it raised)."""
    seen: list[str] = []

    @asset(partitions_def=partitions_def)  # type: ignore[call-overload]
    def step(context: AssetExecutionContext) -> None:
        check_dynamic_keys(context, patterns)
        seen.extend(partition_vars_args(context))

    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("tenants", ["acme", HOSTILE, "a b"])
        materialize([step], instance=instance, partition_key=str(key))
    return seen


def test_a_safe_key_reaches_dbt_as_vars() -> None:
    assert json.loads(_run(TENANTS, "acme", {})[1]) == {"floe_partition_key": "acme"}


def test_a_hostile_key_is_refused_with_the_rule() -> None:
    with pytest.raises(FloeError) as refused:
        _run(TENANTS, HOSTILE, {})
    message = str(refused.value)
    assert "partitions 'tenants': refused key(s)" in message and "letters, digits and _ . : @ + -" in message
    assert "orchestration.partitions.tenants.key_pattern" in message


def test_a_project_pattern_widens_the_alphabet() -> None:
    assert _run(TENANTS, "a b", {"tenants": r"[a-z ]+"})
    with pytest.raises(FloeError, match="the pattern '\\[a-z \\]\\+'"):
        _run(TENANTS, HOSTILE, {"tenants": r"[a-z ]+"})


def test_the_dynamic_dimension_of_a_multi_key_is_checked() -> None:
    multi = MultiPartitionsDefinition({"region": StaticPartitionsDefinition(["eu", "us"]), "tenant": TENANTS})
    assert _run(multi, MultiPartitionKey({"region": "eu", "tenant": "acme"}), {})
    with pytest.raises(FloeError, match="partitions 'tenants'"):
        _run(multi, MultiPartitionKey({"region": "eu", "tenant": HOSTILE}), {})


def _run_range(partitions_def: object, start: str, end: str) -> list[str]:
    """What a partition-range run (Dagster's range tags, as a single-run backfill makes) gives dbt."""
    from floe_dagster.compat import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    seen: list[str] = []

    @asset(partitions_def=partitions_def)  # type: ignore[call-overload]
    def step(context: AssetExecutionContext) -> None:
        seen.extend(partition_vars_args(context))

    tags = {ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end}
    with DagsterInstance.ephemeral() as instance:
        materialize([step], instance=instance, tags=tags)
    return seen


def test_a_range_of_static_keys_fails_the_step_instead_of_building_only_the_first() -> None:
    """dbt takes one key of static/dynamic partitions per run: a run over several must not build the first
    key and let Dagster mark them all materialized (issue 15; floe compile rejects what makes such runs)."""
    regions = StaticPartitionsDefinition(["eu", "us", "apac"])
    assert json.loads(_run_range(regions, "us", "us")[1]) == {"floe_partition_key": "us"}
    with pytest.raises(FloeError, match=r"given partitions 'eu'\.\.'us': dbt models get one key"):
        _run_range(regions, "eu", "us")


def test_a_range_of_days_reaches_dbt_as_a_window() -> None:
    from dagster import DailyPartitionsDefinition

    days = DailyPartitionsDefinition(start_date="2024-01-01")
    assert json.loads(_run_range(days, "2024-01-02", "2024-01-04")[1]) == {
        "floe_partition_key": "2024-01-02",
        "floe_partition_start": "2024-01-02T00:00:00+00:00",
        "floe_partition_end": "2024-01-05T00:00:00+00:00",
    }
