select id as customer_id, name, email from {{ source('bronze', 'raw_customers') }}
