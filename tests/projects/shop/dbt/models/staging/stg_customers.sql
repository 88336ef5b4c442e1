select customer_id, name, lower(email) as email from {{ ref('raw_customers') }}
