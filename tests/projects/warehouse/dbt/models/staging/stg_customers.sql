{{ config(group='sales') }}
select * from {{ ref('base_customers') }}
