"""Container workflows (floe_core.workflows) on Dagster: one job per workflow, one op per container job.

    build_workflows(workflow_set) -> BuiltWorkflows(jobs, schedules)

What each op runs comes from floe-core's `render_plan` for the run's window (a partition key of a scheduled
workflow) or date (`floe/date` run tag), so Dagster and any other adapter start the same argv and env.
"""

from floe_dagster.workflows.build import BuiltWorkflows, build_workflows, with_manual_workflows
from floe_dagster.workflows.run_tags import DATE_TAG, PARAMS_TAG

__all__ = ["DATE_TAG", "PARAMS_TAG", "BuiltWorkflows", "build_workflows", "with_manual_workflows"]
