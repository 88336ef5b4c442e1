-- Records the partition floe passed to dbt (--vars), so tests can see what a partitioned run received.
select
    '{{ var("floe_partition_key", "none") }}' as partition_key,
    '{{ var("floe_partition_start", "none") }}' as partition_start
