"""The arguments of a dbt step's `dbt build`: the partition as --vars, and the tests it must not run."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import (
    AssetExecutionContext,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
)
from floe_core.errors import FloeError
from floe_core.partition_keys import SAFE_KEY_PATTERN, check_partition_keys

from floe_dagster.compat import get_manifest_and_translator_from_dbt_assets
from floe_dagster.keys import dbt_unique_id


def build_args(context: AssetExecutionContext, key_patterns: Mapping[str, str] | None = None) -> list[str]:
    """`dbt build` with the step's partition and without the tests of assets it does not materialize.

    `key_patterns`: dynamic partitions name -> the pattern its keys must match (floe_core.partition_keys);
    a key from outside that does not match never reaches dbt."""
    check_dynamic_keys(context, key_patterns or {})
    return ["build", *partition_vars_args(context), *unselected_checks_excluded(context)]


def check_dynamic_keys(context: AssetExecutionContext, key_patterns: Mapping[str, str]) -> None:
    """FloeError when the step's key of a dynamic partitions definition (alone or as a dimension) is not of
    its safe alphabet: such keys are added from the UI or CLI and reach SQL through --vars."""
    if not context.has_partition_key:
        return
    pdef = context.assets_def.partitions_def
    key = context.partition_key
    if isinstance(pdef, DynamicPartitionsDefinition) and pdef.name:
        check_partition_keys(pdef.name, [key], key_patterns.get(pdef.name, SAFE_KEY_PATTERN))
    elif isinstance(pdef, MultiPartitionsDefinition) and isinstance(key, MultiPartitionKey):
        by_dimension = key.keys_by_dimension
        for dimension in pdef.partitions_defs:
            inner = dimension.partitions_def
            if isinstance(inner, DynamicPartitionsDefinition) and inner.name:
                pattern = key_patterns.get(inner.name, SAFE_KEY_PATTERN)
                check_partition_keys(inner.name, [by_dimension[dimension.name]], pattern)


def unselected_checks_excluded(context: AssetExecutionContext) -> list[str]:
    """`--exclude` for the dbt tests that are checks of assets this step does not materialize.

    dbt's default (eager) indirect selection runs a test as soon as one of its parents is selected, so a
    relationships test defined on a model outside the run (for Dagster, a check of *that* model) ran
    against a table the run does not build, and failed on a fresh warehouse: the demo's silver-only job
    ran gold's relationships tests. Tests of selected models, and singular tests, run as before."""
    selected = {
        dbt_unique_id(spec) for spec in context.assets_def.specs if spec.key in context.selected_asset_keys
    }
    manifest, _, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    excluded = sorted(
        "fqn:" + ".".join(node["fqn"])
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "test"
        and node.get("attached_node")
        and node["attached_node"] not in selected
        and selected.intersection((node.get("depends_on") or {}).get("nodes") or ())
    )
    return ["--exclude", " ".join(excluded)] if excluded else []


def partition_vars(context: AssetExecutionContext) -> dict[str, str]:
    """`floe_partition_key` (and `_start`/`_end` for time windows) for incremental models to filter on."""
    if not context.has_partition_key_range and not context.has_partition_key:
        return {}
    values: dict[str, str] = {}
    if context.has_partition_key:
        values["floe_partition_key"] = context.partition_key
    else:  # a single run over a range (backfill policy single_run): the key of its first partition
        keys = context.partition_key_range
        time_window = is_time_partitioned(context.assets_def.partitions_def)
        if keys.start != keys.end and not time_window:
            # floe compile rejects the policies and backfills that make such runs; this guards the rest
            # (range tags set by hand): fail rather than build one key and mark them all materialized
            raise FloeError(
                f"this dbt step was given partitions {keys.start!r}..{keys.end!r}: dbt models get one key of"
                " static or dynamic partitions per run; launch one run per key"
            )
        values["floe_partition_key"] = keys.start
    if is_time_partitioned(context.assets_def.partitions_def):
        window = context.partition_time_window
        values["floe_partition_start"] = window.start.isoformat()
        values["floe_partition_end"] = window.end.isoformat()
    return values


def partition_vars_args(context: AssetExecutionContext) -> list[str]:
    values = partition_vars(context)
    return ["--vars", json.dumps(values)] if values else []


def is_time_partitioned(pdef: PartitionsDefinition | None) -> bool:
    if isinstance(pdef, TimeWindowPartitionsDefinition):
        return True
    # Multi partitions with a time dimension also have a time window.
    dims: Sequence[Any] | None = getattr(pdef, "partitions_defs", None)
    return any(
        isinstance(getattr(d, "partitions_def", None), TimeWindowPartitionsDefinition) for d in dims or []
    )
