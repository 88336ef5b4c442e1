"""Every private Dagster / dagster-dbt name floe uses, in one place, each with why no public API serves.

Checked against dagster 1.13.27 and dagster-dbt 0.29.27. `tests/test_compat.py` (packages/floe-dagster)
imports each of these and exercises the behaviour floe relies on, so an upgrade that removes or changes
one fails there first, with the name in the message, instead of somewhere deep in a load or a run.
Nothing outside this module imports from `dagster._…`, `dagster_dbt.<submodule>` or `dagster_shared`
(a test checks that too).
"""

from __future__ import annotations

import functools
import importlib.metadata
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster import AssetsDefinition, AssetSpec, In, OpDefinition, Out

# -- planning: an asset graph of specs -----------------------------------------------------------------
# floe resolves floe.yaml's selections (asset rules, jobs) before it builds the dbt assets, because the
# rules decide how the dbt project is split into multi-assets (one per partitions definition). Dagster
# resolves selections only against an asset graph, and its public way to get one
# (`Definitions.resolve_asset_graph`) needs built, resource-bound assets (0.55 s at 5000 dbt models, plus
# the multi-asset itself, 0.6 s). `AssetGraph.from_assets` over spec-only assets costs 0.15 s; the dbt
# specs are marked materializable (which they will be) so that selections treat them as Dagster would
# treat the built multi-asset (`group:`, `tag:` and upstream traversal skip external assets).
from dagster._core.definitions.assets.definition.asset_spec import AssetExecutionType
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph

# -- jobs of dbt models only, built from their own graph -------------------------------------------
# `define_asset_job` + `Definitions.resolve_job_def` builds the same job (tests/orchestration/
# test_job_scope.py compares snapshots) but normalizes the job's assets twice and binds resources asset
# by asset: a third of a job's cost, 50 jobs at 5000 models (bench/notes.md section 2).
from dagster._core.definitions.assets.job.asset_job import build_asset_job
from dagster._core.definitions.decorators.op_decorator import DecoratedOpFunction
from dagster._core.definitions.job_definition import default_job_io_manager_with_fs_io_manager_schema
from dagster_dbt import DbtCliResource

# -- dagster-dbt's run-time contract ---------------------------------------------------------------------
# floe builds the dbt multi-assets from cached specs instead of through `@dbt_assets` (which parses the
# manifest and runs the translator on every load: 2.5 s at 5000 models). dagster-dbt's CLI resource
# then reads the dbt selection of a step from this op tag, as it does for `@dbt_assets`.
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_SELECT_METADATA_KEY,
    get_manifest_and_translator_from_dbt_assets,
)

# `DbtCliInvocation.stream()` wraps its events in this iterator, which adds the chainable methods users
# call (fetch_row_counts, ...); floe's observed stream must offer the same.
from dagster_dbt.core.dbt_event_iterator import DbtEventIterator

# dagster-dbt's holder of the manifest inside spec metadata: floe's lazy holder subclasses it so that a
# load served from the spec cache never parses manifest.json.
from dagster_dbt.dagster_dbt_translator import DbtManifestWrapper

# Dagster's records (AssetSpec, AssetCheckSpec, ...) as field dicts, to verify the spec cache field by field.
from dagster_shared.record import as_dict
from packaging import version

# dagster-dbt's metadata key holding a dbt asset's unique id (the link from an asset to its dbt node).
DBT_UNIQUE_ID_METADATA_KEY = "dagster_dbt/unique_id"
DBT_MANIFEST_METADATA_KEY = "dagster_dbt/manifest"
DBT_TRANSLATOR_METADATA_KEY = "dagster_dbt/dagster_dbt_translator"

# Dagster's run tags for a run over a range of partitions (a backfill batch run as one run).
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


class _PlannedAssets(AssetsDefinition):
    """Specs that count as materializable in a planning graph (see the planning note above)."""

    @property
    def execution_type(self) -> AssetExecutionType:
        return AssetExecutionType.MATERIALIZATION


def planning_graph(
    assets: Iterable[AssetsDefinition], materializable: Sequence[Sequence[AssetSpec]] = ()
) -> AssetGraph:
    """An asset graph for resolving selections: `assets` as they are, plus each group of `materializable`
    specs (the dbt project's, one group per partitions definition) as if built. Never executed: only
    selections are resolved against it."""
    planned = [_PlannedAssets(specs=list(group)) for group in materializable if group]
    return AssetGraph.from_assets([*assets, *planned])


def dbt_only_job(
    name: str,
    assets: Sequence[AssetsDefinition],
    resources: Mapping[str, object],
    *,
    description: str | None,
    tags: Mapping[str, str],
    run_tags: Mapping[str, str],
) -> Any:
    """The asset job of `assets` (every one selected), as `Definitions` would resolve it (see above)."""
    graph = AssetGraph.from_assets(list(assets))
    return build_asset_job(
        name,
        graph,
        allow_different_partitions_defs=False,
        # Definitions binds this default I/O manager (configurable base_dir) to assets it is given
        resource_defs={"io_manager": default_job_io_manager_with_fs_io_manager_schema, **resources},
        description=description,
        tags=tags,
        run_tags=run_tags,
    )


# -- wrapping a Python asset's compute function -----------------------------------------------------------
# Observability must run *around* the user's function (START before it, the span active while it runs,
# COMPLETE or FAIL after), with zero change to the user's code. Dagster's public hooks
# (`AssetsDefinition.with_hooks`) run only after a step, and an op cannot be rebuilt publicly from an
# existing one without its decorated function. These are the constructors Dagster's own decorators use.
def decorated_function(op: OpDefinition) -> Callable[..., Any] | None:
    """The user's function behind a decorated op; None for ops not built by a decorator."""
    compute = op.compute_fn
    return compute.decorated_fn if isinstance(compute, DecoratedOpFunction) else None


def op_with_function(op: OpDefinition, fn: Callable[..., Any]) -> OpDefinition:
    """A copy of the decorated `op` whose compute is `fn` (a functools.wraps wrapper of the original):
    same name, inputs, outputs, config, resources, tags, retry policy, code version and pool."""
    return _op_copy(op, DecoratedOpFunction(decorated_fn=fn), op.pool)


def op_with_pool(op: OpDefinition, pool: str) -> OpDefinition:
    """A copy of `op` in `pool` (floe_dagster.pools): OpDefinition has no public way to set the pool of an
    op that is already built (with_replaced_properties does not take it)."""
    return _op_copy(op, op.compute_fn, pool)


def _op_copy(op: OpDefinition, compute_fn: Any, pool: str | None) -> OpDefinition:
    return OpDefinition.dagster_internal_init(
        compute_fn=compute_fn,
        name=op.name,
        ins={d.name: In.from_definition(d) for d in op.input_defs},
        outs={d.name: Out.from_definition(d) for d in op.output_defs},
        description=op.description,
        config_schema=op.config_schema,
        required_resource_keys=op.required_resource_keys,
        tags=op.tags,
        version=None,
        retry_policy=op.retry_policy,
        code_version=getattr(op, "_version", None),
        pool=pool,
    )


def assets_with_op(assets_def: AssetsDefinition, op: OpDefinition) -> AssetsDefinition:
    attributes = {**assets_def.get_attributes_dict(), "node_def": op}
    return AssetsDefinition.dagster_internal_init(**attributes)


# -- the dbt CLI resource, minus two costs it pays in every step process -----------------------------------
class FloeDbtCliResource(DbtCliResource):
    """dagster-dbt's DbtCliResource, minus two costs it pays in every step process before dbt starts.

    dagster-dbt runs `dbt --version` in every step process to choose its CLI flags. That command imports
    every installed adapter and asks PyPI for newer releases: seconds per step (about 10 s with the seven
    adapters floe supports installed), or a network timeout where PyPI is unreachable. When the executable
    is dbt-core's own console script next to this Python, its version is dbt-core's package version.

    dagster-dbt also opens a dbt adapter in every step (it loads the project and profile and parses every
    macro: ~3 s before dbt is even spawned). The adapter serves only `fetch_row_counts()` and
    `fetch_column_metadata()` on the event stream, which floe's dbt assets do not call, so it is not opened.
    Both are private methods of DbtCliResource: no public setting turns either off.
    """

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None  # the invocation then has no adapter; see the class docstring

    @functools.cached_property
    def _cli_version(self) -> version.Version:
        local = _dbt_core_version(Path(self.dbt_executable))
        return local if local is not None else super()._cli_version


def _dbt_core_version(executable: Path) -> version.Version | None:
    if executable.parent != Path(sys.executable).parent:
        return None
    try:
        script = executable.read_text(encoding="utf-8", errors="replace")[:2000]
        if "from dbt.cli.main import cli" not in script:  # e.g. another dbt engine under the same name
            return None
        return version.parse(importlib.metadata.version("dbt-core"))
    except (OSError, importlib.metadata.PackageNotFoundError, version.InvalidVersion):
        return None


__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "DAGSTER_DBT_SELECT_METADATA_KEY",
    "DBT_MANIFEST_METADATA_KEY",
    "DBT_TRANSLATOR_METADATA_KEY",
    "DBT_UNIQUE_ID_METADATA_KEY",
    "AssetGraph",
    "DbtEventIterator",
    "DbtManifestWrapper",
    "FloeDbtCliResource",
    "as_dict",
    "assets_with_op",
    "dbt_only_job",
    "decorated_function",
    "get_manifest_and_translator_from_dbt_assets",
    "op_with_function",
    "planning_graph",
]
