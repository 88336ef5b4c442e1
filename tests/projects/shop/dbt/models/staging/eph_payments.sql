{{ config(materialized='ephemeral') }}
select payment_id, customer_id, amount from {{ ref('raw_payments') }}
