{{ config(materialized='ephemeral') }}
select o.*, c.country from {{ ref('base_orders') }} o join {{ ref('base_customers') }} c using (customer_id)
