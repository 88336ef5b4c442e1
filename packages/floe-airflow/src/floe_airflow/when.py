"""Which floe run an Airflow run is (no Airflow import: unit-tested in floe's venv; floe_airflow.runtime uses it).

A run with a logical date is the window starting there (what CronDataIntervalTimetable gives scheduled runs:
logical date = data interval start). A logical date at local midnight that is not a tick means, as for
`floe workflow plan --date`, the window starting that day (`airflow dags test WF 2024-01-02`). A run without a
logical date (Airflow 3 allows it for manual runs) is the last complete window at `run_after`. Workflows
without a cron/interval schedule run for the logical date (else `run_after`) as their trigger time.
"""

from __future__ import annotations

from datetime import date, datetime

from floe_core.errors import FloeError
from floe_core.workflows import WorkflowSpec, last_complete_window, window_for
from floe_core.workflows.plan import When


def run_when(spec: WorkflowSpec, logical_date: datetime | None, run_after: datetime | None) -> When:
    """What `render_plan` is given for the Airflow run with this logical date (see the module docstring)."""
    schedule = spec.windowed_schedule
    if schedule is None:
        moment = logical_date or run_after
        if moment is None:
            raise FloeError(f"workflow {spec.name}: the run has neither a logical date nor run_after")
        return moment
    if logical_date is None:
        at = run_after or datetime.now(tz=schedule.tz)
        window = last_complete_window(schedule, at)
        if window is None:
            raise FloeError(f"workflow {spec.name}: no complete window at {at.isoformat()}")
        return window
    try:
        return window_for(schedule, logical_date)
    except FloeError:
        local = logical_date.astimezone(schedule.tz)
        if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
            raise
        day: date = local.date()
        return window_for(schedule, day)
