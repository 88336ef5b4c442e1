"""Bronze orders, one daily partition at a time: the run's window decides which days are (re)written.

Day d gets 1 + (day of year % 7) orders, so every day's expected count is known to the tests.
"""

from datetime import timedelta

from dagster import AssetExecutionContext, MaterializeResult, asset
from floe_dagster import DuckDBResource


def orders_on(day_of_year: int) -> int:
    return 1 + day_of_year % 7


@asset(group_name="bronze", kinds={"python", "duckdb"})
def raw_orders(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult[None]:
    window = context.partition_time_window  # a backfill batch is a range: use the window, not the key
    start, end = window.start.date(), window.end.date()
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    rows = [
        (f"{day.isoformat()}-{n}", day, 10 * (n + 1), ["placed", "shipped"][n % 2])
        for day in days
        for n in range(orders_on(day.timetuple().tm_yday))
    ]
    with duckdb.connect() as conn:
        conn.execute("create schema if not exists bronze")
        conn.execute(
            "create table if not exists bronze.raw_orders"
            " (order_id varchar, order_date date, amount integer, status varchar)"
        )
        conn.execute("delete from bronze.raw_orders where order_date >= ? and order_date < ?", [start, end])
        conn.executemany("insert into bronze.raw_orders values (?, ?, ?, ?)", rows)
    return MaterializeResult(metadata={"dagster/row_count": len(rows), "window": f"{start}..{end}"})
