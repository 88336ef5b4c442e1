"""Bronze, one day at a time: each day's orders as a daily extract lands them (deterministic, seeded by
the day). floe.yaml partitions this asset daily; the run's time window decides which days are rewritten,
so a backfill batch (a partition range) writes all of its days in one run."""

import random
from datetime import date, timedelta

from dagster import AssetExecutionContext, MaterializeResult, asset
from floe_dagster import DuckDBResource

STATUSES = ["placed", "shipped", "completed", "returned", "cancelled"]


def orders_of(day: date) -> list[tuple[object, ...]]:
    rng = random.Random(day.toordinal())
    return [
        (
            f"{day:%Y%m%d}-{n:03d}",
            rng.randint(1, 1000),
            day,
            round(rng.uniform(5, 300), 2),
            rng.choice(STATUSES),
        )
        for n in range(rng.randint(20, 40))
    ]


@asset(group_name="daily", kinds={"python", "duckdb"}, description="Orders of one day (daily partitions).")
def raw_daily_orders(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult[None]:
    window = context.partition_time_window
    start, end = window.start.date(), window.end.date()
    rows = [row for i in range((end - start).days) for row in orders_of(start + timedelta(days=i))]
    with duckdb.connect() as conn:
        conn.execute("create schema if not exists bronze")
        conn.execute(
            "create table if not exists bronze.raw_daily_orders (order_id varchar, customer_id integer,"
            " order_date date, amount decimal(10, 2), status varchar)"
        )
        conn.execute(
            "delete from bronze.raw_daily_orders where order_date >= ? and order_date < ?", [start, end]
        )
        if rows:
            conn.executemany("insert into bronze.raw_daily_orders values (?, ?, ?, ?, ?)", rows)
    return MaterializeResult(metadata={"dagster/row_count": len(rows), "window": f"{start}..{end}"})
