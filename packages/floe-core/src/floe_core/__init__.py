"""floe_core."""
