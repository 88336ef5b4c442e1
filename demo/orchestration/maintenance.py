"""Demo maintenance (the `maintenance` ops job in floe.yaml): prune old bronze orders, then compact DuckDB.

floe passes `duckdb` (the resource of the active target) and the job's parameters; `retention_days` can be
changed per run in the launchpad (run config) without editing floe.yaml.
"""

from dagster import OpExecutionContext
from floe_dagster import DuckDBResource


def prune_and_compact(
    context: OpExecutionContext, duckdb: DuckDBResource, retention_days: int
) -> dict[str, int]:
    with duckdb.connect() as conn:
        # Orders older than `retention_days` before the newest order (the demo data is historical).
        (before,) = conn.execute("select count(*) from bronze.raw_orders").fetchone() or (0,)
        conn.execute(
            "delete from bronze.raw_orders where order_date < (select max(order_date) from bronze.raw_orders)"
            " - ?::integer",
            [retention_days],
        )
        (after,) = conn.execute("select count(*) from bronze.raw_orders").fetchone() or (0,)
        deleted = before - after
        conn.execute("vacuum")
        conn.execute("checkpoint")  # writes the WAL into the file and reclaims freed blocks
    context.log.info(f"pruned {deleted} bronze orders older than {retention_days} days; checkpointed")
    return {"deleted_rows": int(deleted), "retention_days": retention_days}
