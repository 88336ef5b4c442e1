"""Materialize every asset of the demo in-process, then print the row count of each DuckDB table.

Usage (after `floe compile`): `cd demo && ../.venv/bin/python run_all.py` — this is `make demo-run`.
The in-process executor runs one step at a time, so bronze and dbt never hold the DuckDB file together.
"""

import sys

import duckdb
from dagster import DagsterInstance
from floe_dagster import DuckDBResource, FloeDefinitions


def main() -> int:
    defs = FloeDefinitions.from_compiled_artifacts()
    job = defs.resolve_implicit_global_asset_job_def()
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    resource = (defs.resources or {}).get("duckdb")
    if isinstance(resource, DuckDBResource):
        with duckdb.connect(resource.path, read_only=True) as conn:
            tables = conn.execute(
                "select table_schema, table_name from information_schema.tables order by 1, 2"
            ).fetchall()
            for schema, table in tables:
                (count,) = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone() or (0,)
                print(f"{schema}.{table}: {count} rows")
    print("run succeeded" if result.success else "run FAILED")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
