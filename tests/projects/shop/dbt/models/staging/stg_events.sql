select event_id, customer_id, kind from {{ source('landing', 'events') }}
