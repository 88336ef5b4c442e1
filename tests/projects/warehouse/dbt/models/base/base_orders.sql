{{ config(materialized='ephemeral') }}
select * from {{ source('erp', 'orders') }}
