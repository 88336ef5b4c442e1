"""A Python asset producing the table the dbt source `landing.events` reads."""

from dagster import MaterializeResult, asset
from floe_dagster import DuckDBResource


@asset(group_name="landing", kinds={"python", "duckdb"}, owners=["team:ingest"], description="Click events.")
def landing_events(duckdb: DuckDBResource) -> MaterializeResult:
    with duckdb.connect() as conn:
        conn.execute("create schema if not exists landing")
        conn.execute(
            "create or replace table landing.events as"
            " select i as event_id, 1 + i % 5 as customer_id, 'click' as kind from range(50) t(i)"
        )
    return MaterializeResult(metadata={"dagster/row_count": 50})
