"""`schedule:` of a workflow (contract §4.1, §7.1): cron, interval, or an event trigger. No schedule = manual.

A cron or interval schedule partitions the workflow into windows (floe_core.workflows.windows); an interval
is only a shorthand for the cron it equals, so both adapters see one kind of schedule.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from croniter import croniter  # type: ignore[import-untyped]
from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag, model_validator

from floe_core.spec.base import FloeModel
from floe_core.spec.orchestration._common import Timezone
from floe_core.workflows.durations import Duration, parse_duration

_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_CRON_FIELDS = "'minute hour day-of-month month day-of-week', e.g. '0 2 * * *'"


def check_cron5(value: str) -> str:
    """Exactly five fields (what Dagster and Airflow both understand), valid for croniter."""
    text = " ".join(value.split())
    if text in _ALIASES:
        raise ValueError(f"cron aliases are not supported: write {_ALIASES[text]!r} instead of {text!r}")
    if len(text.split()) != 5 or not croniter.is_valid(text):
        raise ValueError(f"invalid cron expression {value!r}: expected 5 fields {_CRON_FIELDS}")
    return text


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _check_start(value: str) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"invalid date {value!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM (in the schedule's timezone)"
        ) from None
    if parsed.tzinfo is not None:
        raise ValueError(
            f"{value!r} has a UTC offset: write the local date or time, the schedule's `timezone` applies"
        )
    return value


ScheduleDate = Annotated[
    str,
    BeforeValidator(_iso),
    AfterValidator(_check_start),
    Field(description="YYYY-MM-DD or YYYY-MM-DDTHH:MM, in the schedule's timezone"),
]


def local_datetime(value: str, tz: ZoneInfo) -> datetime:
    """A schedule date (`2024-01-01` = its 00:00) as an aware datetime in `tz`."""
    parsed = datetime.fromisoformat(value)
    if len(value) == 10:
        parsed = datetime.combine(parsed.date(), time())
    return parsed.replace(tzinfo=tz)


def _require_start(value: str | None) -> str:
    if value is None:
        raise ValueError(
            "start_date is required for a cron or interval schedule: its windows (partitions) begin there,"
            " e.g. start_date: '2024-01-01'"
        )
    return value


class _Windowed(FloeModel):
    """Fields shared by the schedules that partition a workflow into windows."""

    timezone: Timezone = Field(default="UTC", description="IANA timezone of the cron and the dates")
    # required, but checked by a validator so that its message says why, next to every other problem
    start_date: Annotated[ScheduleDate | None, AfterValidator(_require_start)] = Field(
        default=None,
        validate_default=True,
        description="required: the first window starts at the first tick at/after this",
    )
    end_date: ScheduleDate | None = Field(
        default=None, description="exclusive: the last window ends at or before this"
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def cron_expression(self) -> str:
        raise NotImplementedError

    @property
    def start(self) -> datetime:
        assert self.start_date is not None  # validated
        return local_datetime(self.start_date, self.tz)

    @property
    def end(self) -> datetime | None:
        return None if self.end_date is None else local_datetime(self.end_date, self.tz)

    def _check_dates(self) -> None:
        end = self.end
        if end is not None and end <= self.start:
            raise ValueError(f"end_date {self.end_date!r} must be after start_date {self.start_date!r}")
        try:
            # a cron such as '0 0 30 2 *' is valid syntax but never fires
            it = croniter(self.cron_expression, self.start.replace(tzinfo=None) - timedelta(seconds=1))
            first, second = it.get_next(datetime), it.get_next(datetime)
        except Exception:
            raise ValueError(f"cron {self.cron_expression!r} never fires") from None
        if end is not None and second.replace(tzinfo=self.tz) > end:
            raise ValueError(
                f"no complete window between start_date {self.start_date!r} and end_date {self.end_date!r}"
                f" (the first window is {first.isoformat()} .. {second.isoformat()})"
            )


class CronSchedule(_Windowed):
    """`{cron: "0 2 * * *", timezone: UTC, start_date: 2024-01-01}`: windows between consecutive ticks."""

    cron: Annotated[str, AfterValidator(check_cron5)] = Field(description="5-field cron expression")

    @property
    def cron_expression(self) -> str:
        return self.cron

    @model_validator(mode="after")
    def _dates(self) -> CronSchedule:
        self._check_dates()
        return self


def interval_cron(seconds: int) -> str | None:
    """The cron equal to an interval, or None: minutes dividing 60, hours dividing 24, 1 day, 1 week."""
    if seconds <= 0 or seconds % 60:
        return None
    minutes = seconds // 60
    if minutes < 60:
        return "* * * * *" if minutes == 1 else (f"*/{minutes} * * * *" if 60 % minutes == 0 else None)
    if minutes % 60:
        return None
    hours = minutes // 60
    if hours < 24:
        return "0 * * * *" if hours == 1 else (f"0 */{hours} * * *" if 24 % hours == 0 else None)
    return {24: "0 0 * * *", 168: "0 0 * * 0"}.get(hours)


INTERVALS_ACCEPTED = (
    "1m 2m 3m 4m 5m 6m 10m 12m 15m 20m 30m (minutes dividing an hour), 1h 2h 3h 4h 6h 8h 12h"
    " (hours dividing a day), 1d, 7d or 1w"
)


def _check_interval(value: str) -> str:
    if interval_cron(parse_duration(value)) is None:
        raise ValueError(
            f"interval {value!r} has no equivalent cron schedule (windows must align to the clock);"
            f" accepted: {INTERVALS_ACCEPTED}; use `cron` for anything else"
        )
    return value


class IntervalSchedule(_Windowed):
    """`{interval: "1h", start_date: ...}`: shorthand for the equal cron (1h = '0 * * * *')."""

    interval: Annotated[Duration, AfterValidator(_check_interval)]

    @property
    def cron_expression(self) -> str:
        cron = interval_cron(parse_duration(self.interval))
        assert cron is not None  # validated
        return cron

    @model_validator(mode="after")
    def _dates(self) -> IntervalSchedule:
        self._check_dates()
        return self


_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$")


class EventSchedule(FloeModel):
    """`{trigger: file_arrival, source: <folder or s3://bucket/prefix>, pattern: "*.csv"}` (contract §7.1).

    A run starts for every new file under `source` whose path below `source` matches `pattern` (fnmatch).
    `s3_file_arrival` is the contract's spelling and requires an s3:// source.
    """

    trigger: Literal["file_arrival", "s3_file_arrival"]
    source: str = Field(
        min_length=1, description="a folder (relative to floe.yaml) or s3://bucket/prefix/ to watch"
    )
    pattern: str = Field(default="*", min_length=1, description="fnmatch glob of the path below source")
    poll_interval: Duration = Field(default="30s", description="how often the source is listed")

    @property
    def is_s3(self) -> bool:
        return self.source.startswith("s3://")

    @model_validator(mode="after")
    def _source(self) -> EventSchedule:
        if self.source.startswith("s3://") and not _S3_URI.match(self.source):
            raise ValueError(f"invalid S3 URI {self.source!r}: expected s3://bucket/prefix/")
        if self.trigger == "s3_file_arrival" and not self.is_s3:
            raise ValueError(
                f"trigger s3_file_arrival needs an s3://bucket/prefix/ source, got {self.source!r}"
                " (use trigger: file_arrival for a local folder)"
            )
        if "://" in self.source and not self.is_s3:
            raise ValueError(f"unsupported source {self.source!r}: expected a local folder or s3://...")
        if parse_duration(self.poll_interval) < 1:
            raise ValueError("poll_interval must be at least 1s")
        return self


# union tags must not be keys of the data: pydantic puts them in error locations, floe drops them again
_TAG_BY_KEY = {"cron": "cron_schedule", "interval": "interval_schedule", "trigger": "event_schedule"}
_TAG_BY_MODEL = {
    "CronSchedule": "cron_schedule",
    "IntervalSchedule": "interval_schedule",
    "EventSchedule": "event_schedule",
}


def _schedule_kind(value: object) -> str | None:
    if isinstance(value, CronSchedule | IntervalSchedule | EventSchedule):
        return _TAG_BY_MODEL[type(value).__name__]
    keys = set(value) if isinstance(value, dict) else set()
    return next((tag for key, tag in _TAG_BY_KEY.items() if key in keys), None)


Schedule = Annotated[
    Annotated[CronSchedule, Tag("cron_schedule")]
    | Annotated[IntervalSchedule, Tag("interval_schedule")]
    | Annotated[EventSchedule, Tag("event_schedule")],
    Discriminator(
        _schedule_kind,
        custom_error_type="schedule_kind",
        custom_error_message=(
            "expected one of {cron: ..., start_date: ...}, {interval: ..., start_date: ...} or"
            " {trigger: file_arrival, source: ...}; omit `schedule` for manual runs only"
        ),
    ),
]
WindowedSchedule = CronSchedule | IntervalSchedule
