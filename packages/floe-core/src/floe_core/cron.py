"""The public cron check shared by floe.yaml, workflow specs and the workflow API (`check_cron`): a 5-field
expression as Dagster accepts it. Lives with the schedule models; this is its public name."""

from __future__ import annotations

from floe_core.spec.orchestration._common import check_cron

__all__ = ["check_cron"]
