"""Bronze layer: deterministic generated shop data (seeded random) loaded into DuckDB schema `bronze`.

The `duckdb` resource is provided by floe from the active compute target, so this file never names the
database path. Connections are closed as soon as each table is written: DuckDB allows one writer process.
"""

import random
from datetime import date, timedelta

from dagster import AssetExecutionContext, MaterializeResult, asset
from floe_dagster import DuckDBResource

CUSTOMERS, PRODUCTS, ORDERS = 1000, 200, 3000
FIRST_DAY = date(2024, 1, 1)
DAYS = 91
STATUSES = ["placed", "shipped", "completed", "returned", "cancelled"]
CATEGORIES = ["books", "garden", "kitchen", "toys", "outdoor"]
KINDS = {"python", "duckdb"}


def _write(
    duckdb: DuckDBResource, table: str, columns: str, rows: list[tuple[object, ...]]
) -> MaterializeResult:
    placeholders = ", ".join("?" for _ in rows[0])
    with duckdb.connect() as conn:
        conn.execute("create schema if not exists bronze")
        conn.execute(f"create or replace table bronze.{table} ({columns})")
        conn.executemany(f"insert into bronze.{table} values ({placeholders})", rows)
    return MaterializeResult(metadata={"dagster/row_count": len(rows), "table": f"bronze.{table}"})


@asset(group_name="bronze", kinds=KINDS, description="Shop customers (generated, seed 1).")
def raw_customers(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    rng = random.Random(1)
    rows = [
        (
            i,
            rng.choice(["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Linus", "Margaret"]),
            rng.choice(["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton"]),
            f"customer{i}@example.com",
            f"+1-555-{rng.randint(1000, 9999)}",
            rng.choice(["US", "GB", "DE", "FR", "NL"]),
            FIRST_DAY - timedelta(days=rng.randint(0, 700)),
        )
        for i in range(1, CUSTOMERS + 1)
    ]
    cols = "customer_id integer, first_name varchar, last_name varchar, email varchar, phone varchar, "
    return _write(duckdb, "raw_customers", cols + "country varchar, signup_date date", rows)


@asset(group_name="bronze", kinds=KINDS, description="Product catalogue (generated, seed 2).")
def raw_products(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    rng = random.Random(2)
    rows = [
        (i, f"product {i}", rng.choice(CATEGORIES), round(rng.uniform(2, 200), 2))
        for i in range(1, PRODUCTS + 1)
    ]
    cols = "product_id integer, name varchar, category varchar, unit_price decimal(10, 2)"
    return _write(duckdb, "raw_products", cols, rows)


@asset(group_name="bronze", kinds=KINDS, description="Orders over one quarter (generated, seed 3).")
def raw_orders(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    rng = random.Random(3)
    rows = [
        (i, rng.randint(1, CUSTOMERS), FIRST_DAY + timedelta(days=rng.randrange(DAYS)), rng.choice(STATUSES))
        for i in range(1, ORDERS + 1)
    ]
    cols = "order_id integer, customer_id integer, order_date date, status varchar"
    return _write(duckdb, "raw_orders", cols, rows)


@asset(group_name="bronze", kinds=KINDS, description="Order lines: 1-4 per order (generated, seed 4).")
def raw_order_items(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    rng = random.Random(4)
    rows: list[tuple[object, ...]] = []
    for order_id in range(1, ORDERS + 1):
        for _ in range(1 + order_id % 4):
            rows.append((len(rows) + 1, order_id, rng.randint(1, PRODUCTS), rng.randint(1, 5)))
    cols = "order_item_id integer, order_id integer, product_id integer, quantity integer"
    return _write(duckdb, "raw_order_items", cols, rows)
