select cp.customer_id, cp.total_paid, count(e.event_id) as events
from {{ ref('customer_payments') }} cp
left join {{ ref('stg_events') }} e on e.customer_id = cp.customer_id
group by 1, 2
