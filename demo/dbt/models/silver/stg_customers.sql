select
    customer_id,
    first_name,
    last_name,
    first_name || ' ' || last_name as full_name,
    lower(email) as email,
    phone,
    country,
    signup_date
from {{ source('bronze', 'raw_customers') }}
