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


def check_cron(value: str) -> str:
    """A 5-field cron expression (Dagster's dialect); `@daily` style aliases are accepted too."""
    text = value.strip()
    if not text or not croniter.is_valid(text):
        raise ValueError(
            f"invalid cron expression {value!r}: expected 5 fields 'minute hour day-of-month month"
            " day-of-week', e.g. '0 2 * * *'"
        )
    return text


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {value!r}: expected an IANA name such as 'UTC' or 'Europe/Paris'"
        ) from exc
    return value


_TARGET = re.compile(r"^[A-Za-z_][\w.]*(\.py)?:[A-Za-z_]\w*$|^[\w./\-]+\.py:[A-Za-z_]\w*$")


def check_target(value: str) -> str:
    """`package.module:function` or `relative/path.py:function` (relative to floe.yaml)."""
    if not _TARGET.match(value):
        raise ValueError(
            f"invalid target {value!r}: expected 'package.module:function' or 'path/to/file.py:function'"
        )
    return value


Cron = Annotated[str, AfterValidator(check_cron), Field(description="5-field cron expression")]
Timezone = Annotated[str, AfterValidator(check_timezone), Field(description="IANA timezone, e.g. UTC")]
Target = Annotated[
    str, AfterValidator(check_target), Field(description="'package.module:function' or 'file.py:function'")
]
