"""One writer per DuckDB file, through Dagster's pools (issue 16.10).

A DuckDB file takes one writer process at a time: dbt steps and Python assets writing the same file from
concurrent steps or runs (the UI's "Materialize all", schedules, sensors, backfills) failed with
`Could not set lock on file ...: Conflicting lock is held`. Every step that writes the project's DuckDB
file — the dbt multi-assets, and each Python asset that takes the `duckdb` resource — is put in the pool
`duckdb_<file name>`; Dagster then runs at most the pool's limit of those steps at once, across runs. The
limit comes from the instance: `floe init` (and `make demo`) write `concurrency.pools.default_limit: 1`
into dagster.yaml (see floe_core.scaffold). Without that setting Dagster does not limit pools, and the
lock error can come back: `floe_dagster.pools` logs nothing about it at load (the instance is not known
there), docs/orchestration.md says how to set it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from dagster import AssetsDefinition, OpDefinition

from floe_dagster.compat import assets_with_op, op_with_pool
from floe_dagster.resources import DUCKDB_RESOURCE_KEY


def duckdb_pool(database_path: str | Path | None) -> str | None:
    """`duckdb_<file stem>` for a local DuckDB file, None otherwise (other targets take many writers)."""
    if database_path is None:
        return None
    stem = re.sub(r"[^A-Za-z0-9_]", "_", Path(database_path).stem) or "database"
    return f"duckdb_{stem}"


def writes_duckdb(assets_def: AssetsDefinition) -> bool:
    return DUCKDB_RESOURCE_KEY in assets_def.required_resource_keys


def pooled(assets: Sequence[AssetsDefinition], pool: str | None) -> list[AssetsDefinition]:
    """`assets` with the DuckDB writers in `pool` (an asset that already names a pool keeps it)."""
    if pool is None:
        return list(assets)
    out = []
    for assets_def in assets:
        op = _op(assets_def)
        if op is not None and writes_duckdb(assets_def) and op.pool is None:
            out.append(assets_with_op(assets_def, op_with_pool(op, pool)))
        else:
            out.append(assets_def)
    return out


def _op(assets_def: AssetsDefinition) -> OpDefinition | None:
    """The asset's op; None for assets without computation or backed by a graph (left as they are)."""
    if not assets_def.is_executable:
        return None
    try:
        node = assets_def.node_def
    except Exception:  # external / spec-only assets have no node
        return None
    return node if isinstance(node, OpDefinition) else None
