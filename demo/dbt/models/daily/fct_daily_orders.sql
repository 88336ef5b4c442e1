-- Incremental by day: floe passes the run's partition window as --vars (floe_partition_start/_end), so a
-- run replaces exactly its days (delete+insert on order_date). Without vars every day is processed.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_date') }}
select
    order_date,
    count(*) as orders,
    count(distinct customer_id) as customers,
    sum(amount) as revenue,
    count(*) filter (where status in ('returned', 'cancelled')) as lost_orders
from {{ source('bronze', 'raw_daily_orders') }}
where order_date >= cast('{{ var("floe_partition_start", "1900-01-01") }}' as date)
  and order_date < cast('{{ var("floe_partition_end", "9999-12-31") }}' as date)
group by order_date
