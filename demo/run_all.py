"""Materialize every asset of the demo in-process, then print the row count of each DuckDB table.

Usage (after `floe compile`): `cd demo && ../.venv/bin/python run_all.py` — this is `make demo-run`.
Unpartitioned assets run first in one run; the daily-partitioned ones (floe.yaml `partitions: daily`) then
run for the last week of their partitions as one partition-range run (`floe backfill q1_2024` does all).
The in-process executor runs one step at a time, so bronze and dbt never hold the DuckDB file together.
"""

import sys

import duckdb
from dagster import AssetKey, DagsterInstance, Definitions
from floe_dagster import DuckDBResource, FloeDefinitions
from floe_dagster.compat import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

PARTITIONS_PER_RUN = 7


def materialize_all(defs: Definitions, instance: DagsterInstance) -> bool:
    """One run for the unpartitioned assets, one range run over the last partitions for the partitioned."""
    graph = defs.resolve_asset_graph()
    keys = sorted(graph.materializable_asset_keys, key=lambda k: k.to_user_string())
    plain = [k for k in keys if graph.get(k).partitions_def is None]
    partitioned: list[AssetKey] = [k for k in keys if graph.get(k).partitions_def is not None]
    job = defs.resolve_implicit_global_asset_job_def()
    ok = job.execute_in_process(instance=instance, asset_selection=plain, raise_on_error=False).success
    if partitioned and job.partitions_def is not None:
        last = job.partitions_def.get_partition_keys(dynamic_partitions_store=instance)[-PARTITIONS_PER_RUN:]
        tags = {ASSET_PARTITION_RANGE_START_TAG: last[0], ASSET_PARTITION_RANGE_END_TAG: last[-1]}
        result = job.execute_in_process(
            instance=instance, asset_selection=partitioned, tags=tags, raise_on_error=False
        )
        ok = ok and result.success
    return ok


def main() -> int:
    defs = FloeDefinitions.from_compiled_artifacts()
    with DagsterInstance.ephemeral() as instance:
        success = materialize_all(defs, instance)
    resource = (defs.resources or {}).get("duckdb")
    if isinstance(resource, DuckDBResource):
        with duckdb.connect(resource.path, read_only=True) as conn:
            tables = conn.execute(
                "select table_schema, table_name from information_schema.tables order by 1, 2"
            ).fetchall()
            for schema, table in tables:
                (count,) = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone() or (0,)
                print(f"{schema}.{table}: {count} rows")
    print("run succeeded" if success else "run FAILED")
    return 0 if success else 1


if __name__ == "__main__":
    sys.exit(main())
