"""floe_dagster."""
