select s.*, (select count(*) from {{ ref('fct_orders') }}) as n_orders from {{ ref('orders_snapshot') }} s
