"""Shared field types and checks for the `orchestration:` models (names, cron, timezones, targets)."""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter  # type: ignore[import-untyped]
from pydantic import AfterValidator, Field

# Dagster names (jobs, schedules, sensors, partitions) must match this; checking it here lets
# `floe validate` catch a bad name before Dagster would fail at load.
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, description="identifier: letters, digits, underscores")]


CRON_FIELDS = "'minute hour day-of-month month day-of-week', e.g. '0 2 * * *'"
_RANGES = "minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or jan-dec, day-of-week 0-6 or sun-sat"


def check_cron(value: str) -> str:
    """A 5-field cron expression, as Dagster accepts it (`@daily` style aliases too).

    croniter alone accepts a sixth (seconds) and seventh (year) field, which Dagster refuses when the code
    location loads; this mirrors Dagster's own check (expands to exactly 5 fields, no 30/31 February).
    Messages never quote the value: it may come from a variable, and the caller shows it (masked if
    secret)."""
    text = value.strip()
    valid = croniter.is_valid(text)
    if text.startswith("@") and not valid:
        raise ValueError(
            f"unknown cron alias: expected @hourly, @daily, @weekly, @monthly, @yearly or {CRON_FIELDS}"
        )
    fields: list[list[object]] | None = croniter.expand(text)[0] if valid else None
    count = len(fields) if fields is not None else len(text.split())
    if count != 5:
        raise ValueError(
            f"cron expression has {count} field{'s' if count != 1 else ''}; Dagster needs exactly 5"
            f" (no seconds or year field): {CRON_FIELDS}"
        )
    if fields is None:
        raise ValueError(f"invalid cron expression: expected 5 fields {CRON_FIELDS} ({_RANGES})")
    if fields[3] == [2] and len(fields[2]) == 1 and fields[2][0] in (30, 31):
        raise ValueError(f"cron expression names day {fields[2][0]} of February, which never comes")
    return text


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown timezone: expected an IANA name such as 'UTC' or 'Europe/Paris'") from exc
    return value


_TARGET = re.compile(r"^[A-Za-z_][\w.]*(\.py)?:[A-Za-z_]\w*$|^[\w./\-]+\.py:[A-Za-z_]\w*$")


def check_target(value: str) -> str:
    """`package.module:function` or `relative/path.py:function` (relative to floe.yaml)."""
    if not _TARGET.match(value):
        raise ValueError("invalid target: expected 'package.module:function' or 'path/to/file.py:function'")
    return value


Cron = Annotated[str, AfterValidator(check_cron), Field(description="5-field cron expression")]
Timezone = Annotated[str, AfterValidator(check_timezone), Field(description="IANA timezone, e.g. UTC")]
Target = Annotated[
    str, AfterValidator(check_target), Field(description="'package.module:function' or 'file.py:function'")
]
