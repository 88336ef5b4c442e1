"""floe_core: floe.yaml reading, validation and compilation (no dagster, no dbt).

`is_secret_name` is re-exported here: it is floe's one rule for "this name holds a secret", shared by every
floe package that decides what it may write, log or show.
"""

from floe_core.secrets import is_secret_name, may_hold_secret

__all__ = ["is_secret_name", "may_hold_secret"]
