"""The template context of one run: the values `{{ ds }}`, `{{ execution_date }}` ... render to.

A run of a cron/interval window [start, end) (launched at `end`):
    execution_date = data_interval_start = start     prev_execution_date = the previous window's start
    next_execution_date = data_interval_end = end    ds = start as YYYY-MM-DD, ts = start as ISO 8601
A manual or event run: execution_date = the trigger time; the window variables are not defined (using
them is an error that says why; `{% if prev_execution_date is defined %}` tests for them); an event run
also has `trigger_file`. Datetimes are ISO 8601 with the offset of the schedule's timezone (UTC for runs
without a schedule).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Literal

from floe_core.errors import FloeError
from floe_core.spec.base import FloeModel
from floe_core.workflows.schedules import WindowedSchedule
from floe_core.workflows.templating import PARAMS, TemplateDateTime, missing
from floe_core.workflows.windows import Window, partition_key, previous_window

RunKind = Literal["window", "manual", "event"]
_WHY = {
    "manual": "this is a manual run, not the run of a schedule window (the workflow has no cron or interval)",
    "event": "this run was triggered by a file arrival, not by a schedule window",
}


class TemplateContext(FloeModel):
    """What each template variable renders to for one run (strings exactly as rendered)."""

    kind: RunKind
    execution_date: str
    ds: str
    ds_nodash: str
    ts: str
    ts_nodash: str
    prev_execution_date: str | None = None
    next_execution_date: str | None = None
    data_interval_start: str | None = None
    data_interval_end: str | None = None
    trigger_file: str | None = None
    partition_key: str | None = None

    def variables(self, params: dict[str, object] | None = None) -> dict[str, object]:
        """The Jinja context: datetimes render as ISO 8601 and keep their methods (`.strftime(...)`)."""
        values: dict[str, object] = {
            "execution_date": _datetime(self.execution_date),
            "ds": self.ds,
            "ds_nodash": self.ds_nodash,
            "ts": self.ts,
            "ts_nodash": self.ts_nodash,
        }
        for name in (
            "prev_execution_date",
            "next_execution_date",
            "data_interval_start",
            "data_interval_end",
        ):
            text = getattr(self, name)
            values[name] = _datetime(text) if text is not None else missing(name, _WHY.get(self.kind, ""))
        if self.trigger_file is not None:
            values["trigger_file"] = self.trigger_file
        else:
            values["trigger_file"] = missing("trigger_file", "only runs triggered by a file arrival have one")
        if params is not None:
            values[PARAMS] = params
        return values


def _datetime(text: str) -> TemplateDateTime:
    return TemplateDateTime.of(datetime.fromisoformat(text))


def _dates(moment: datetime) -> dict[str, str]:
    return {
        "execution_date": moment.isoformat(),
        "ds": moment.strftime("%Y-%m-%d"),
        "ds_nodash": moment.strftime("%Y%m%d"),
        "ts": moment.isoformat(),
        "ts_nodash": moment.strftime("%Y%m%dT%H%M%S"),
    }


def window_context(schedule: WindowedSchedule, window: Window) -> TemplateContext:
    """The context of the run of `window` (see the module docstring)."""
    previous = previous_window(schedule, window)
    return TemplateContext(
        kind="window",
        **_dates(window.start),
        prev_execution_date=previous.start.isoformat(),
        next_execution_date=window.end.isoformat(),
        data_interval_start=window.start.isoformat(),
        data_interval_end=window.end.isoformat(),
        partition_key=partition_key(schedule, window),
    )


def trigger_context(
    when: date | datetime, *, kind: Literal["manual", "event"] = "manual", trigger_file: str | None = None
) -> TemplateContext:
    """The context of a manual or event run at `when` (a date is its 00:00 UTC; naive datetimes are UTC)."""
    if kind == "event" and not trigger_file:
        raise FloeError("an event run needs the trigger file (the path or URI of the file that arrived)")
    if kind == "manual" and trigger_file is not None:
        raise FloeError("a trigger file is only given to runs of a file-arrival workflow")
    if not isinstance(when, datetime):
        when = datetime.combine(when, time(), tzinfo=UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return TemplateContext(kind=kind, **_dates(when), trigger_file=trigger_file)
