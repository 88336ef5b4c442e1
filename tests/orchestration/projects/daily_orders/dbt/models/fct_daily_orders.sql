-- Incremental on the partition window floe passes as --vars: a run replaces exactly its days.
-- Without vars (a full refresh by hand) the defaults cover every day.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='order_date') }}
select
    order_date,
    count(*) as orders,
    sum(amount) as revenue,
    '{{ var("floe_partition_key", "none") }}' as partition_key
from {{ source('bronze', 'raw_orders') }}
where order_date >= cast('{{ var("floe_partition_start", "1900-01-01") }}' as date)
  and order_date < cast('{{ var("floe_partition_end", "9999-12-31") }}' as date)
group by order_date
