-- One row per customer: order count, revenue and first/last order date (completed or shipped orders).
with order_totals as (
    select
        o.order_id,
        o.customer_id,
        o.order_date,
        sum(i.quantity * p.unit_price) as order_total
    from {{ ref('stg_orders') }} as o
    join {{ ref('stg_order_items') }} as i on i.order_id = o.order_id
    join {{ ref('stg_products') }} as p on p.product_id = i.product_id
    where o.status in ('shipped', 'completed')
    group by o.order_id, o.customer_id, o.order_date
)

select
    c.customer_id,
    c.full_name,
    c.country,
    count(t.order_id) as order_count,
    coalesce(sum(t.order_total), 0) as lifetime_revenue,
    min(t.order_date) as first_order_date,
    max(t.order_date) as last_order_date
from {{ ref('stg_customers') }} as c
left join order_totals as t on t.customer_id = c.customer_id
group by c.customer_id, c.full_name, c.country
