{{ config(group='finance') }}
select * from {{ ref('base_customer_orders') }}
