{{ config(materialized='ephemeral') }}
select c.*, k.country from {{ source('erp', 'customers') }} c
left join {{ ref('country_codes') }} k on k.code = c.country_code
