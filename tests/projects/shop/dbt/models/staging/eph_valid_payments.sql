{{ config(materialized='ephemeral') }}
select * from {{ ref('eph_payments') }} where amount > 0
