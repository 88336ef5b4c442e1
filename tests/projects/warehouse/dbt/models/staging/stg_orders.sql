select * from {{ ref('base_orders') }}
