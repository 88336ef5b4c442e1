"""floe_dbt."""
