select c.customer_id, c.name, coalesce(sum(p.amount), 0) as total_paid, count(p.payment_id) as payments
from {{ ref('stg_customers') }} c
left join {{ ref('eph_valid_payments') }} p on p.customer_id = c.customer_id
group by 1, 2
