"""floe.yaml `orchestration:` on Dagster: the plan (resolved on specs), partitions, rules, jobs, schedules,
sensors, automation and backfills."""
