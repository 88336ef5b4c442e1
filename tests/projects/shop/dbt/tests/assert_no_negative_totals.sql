select * from {{ ref('customer_payments') }} where total_paid < 0
