"""`orchestration.partitions`: named partition schemes (time window, static, multi, dynamic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from floe_core.partition_keys import SAFE_KEY_PATTERN, compile_key_pattern
from floe_core.spec.base import FloeModel
from floe_core.spec.orchestration._common import Cron, Timezone

Granularity = Literal["hourly", "daily", "weekly", "monthly"]

# The cron each granularity implies when no explicit cron is given (window start times).
DEFAULT_CRON: dict[str, str] = {
    "hourly": "0 * * * *",
    "daily": "0 0 * * *",
    "weekly": "0 0 * * 0",
    "monthly": "0 0 1 * *",
}
DEFAULT_FMT: dict[str, str] = {
    "hourly": "%Y-%m-%d-%H:%M",
    "daily": "%Y-%m-%d",
    "weekly": "%Y-%m-%d",
    "monthly": "%Y-%m-%d",
}
# Characters Dagster reserves in static keys (multi-partition keys are joined with '|').
RESERVED_KEY_CHARS = set("|,[]")


def _iso(value: object) -> object:
    # YAML turns an unquoted 2024-01-01 into a date; keep the model's field a plain ISO string.
    return value.isoformat() if isinstance(value, date | datetime) else value


def _check_iso(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("invalid date: expected ISO format YYYY-MM-DD or YYYY-MM-DDTHH:MM") from exc
    return value


def _cron_granularity(cron: str) -> str | None:
    """Which window a cron produces: fixed minute+hour with `* * *` is daily, and so on; None if irregular."""
    parts = cron.split()
    if len(parts) != 5:
        return {"@hourly": "hourly", "@daily": "daily", "@weekly": "weekly", "@monthly": "monthly"}.get(cron)
    _minute, hour, dom, month, dow = parts
    fixed = [p.isdigit() for p in parts]
    if fixed[0] and hour == dom == month == dow == "*":
        return "hourly"
    if fixed[0] and fixed[1] and dom == month == dow == "*":
        return "daily"
    if fixed[0] and fixed[1] and dom == month == "*" and fixed[4]:
        return "weekly"
    if fixed[0] and fixed[1] and fixed[2] and month == dow == "*":
        return "monthly"
    return None


class TimeWindowPartitions(FloeModel):
    """One partition per time window (hour/day/week/month), from `start` up to now or `end`."""

    type: Literal["time_window"]
    granularity: Granularity = Field(default="daily", description="window length")
    start: str = Field(description="first window start, ISO date or datetime")
    end: str | None = Field(default=None, description="exclusive end of the last window (ISO); default: now")
    cron: Cron | None = Field(default=None, description="window boundaries; must agree with granularity")
    timezone: Timezone = "UTC"
    fmt: str | None = Field(default=None, description="strftime format of partition keys")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _to_iso(cls, value: object) -> object:
        return _iso(value)

    @field_validator("start", "end")
    @classmethod
    def _valid_dates(cls, value: str | None) -> str | None:
        return None if value is None else _check_iso(value)

    @field_validator("fmt")
    @classmethod
    def _valid_fmt(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError("invalid fmt: expected a strftime format such as '%Y-%m-%d'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TimeWindowPartitions:
        # FR-017: a daily partition with an hourly cron would silently produce 24 keys a day.
        if self.cron is not None and _cron_granularity(self.cron) != self.granularity:
            found = _cron_granularity(self.cron) or "irregular"
            raise ValueError(
                f"cron {self.cron!r} produces {found} windows but granularity is {self.granularity!r}:"
                f" use a {self.granularity} cron such as {DEFAULT_CRON[self.granularity]!r}"
            )
        if self.end is not None and datetime.fromisoformat(self.end) <= datetime.fromisoformat(self.start):
            raise ValueError(f"end {self.end!r} must be after start {self.start!r}")
        return self

    @property
    def effective_cron(self) -> str:
        return self.cron or DEFAULT_CRON[self.granularity]

    @property
    def effective_fmt(self) -> str:
        return self.fmt or DEFAULT_FMT[self.granularity]


class StaticPartitions(FloeModel):
    """A fixed list of keys, e.g. regions."""

    type: Literal["static"]
    keys: list[str] = Field(min_length=1, description="partition keys, unique")

    @field_validator("keys")
    @classmethod
    def _unique_clean(cls, keys: list[str]) -> list[str]:
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate partition keys {dupes}: each key must appear once")
        bad = [k for k in keys if not k or RESERVED_KEY_CHARS & set(k)]
        if bad:
            raise ValueError(f"invalid partition keys {bad}: keys must be non-empty and not contain | , [ ]")
        return keys


class MultiPartitions(FloeModel):
    """Two dimensions (Dagster's limit), each naming another partitions entry (time_window/static/dynamic)."""

    type: Literal["multi"]
    dimensions: dict[str, str] = Field(description="dimension name -> name of a partitions entry")

    @field_validator("dimensions")
    @classmethod
    def _two(cls, dims: dict[str, str]) -> dict[str, str]:
        if len(dims) != 2:
            raise ValueError(
                f"multi partitions need exactly 2 dimensions (Dagster supports no more), got {len(dims)}:"
                f" {sorted(dims)}"
            )
        return dims


class DynamicPartitions(FloeModel):
    """Keys added at run time (`floe partitions add <name> <keys>`); the entry's name is the Dagster name."""

    type: Literal["dynamic"]
    key_pattern: str = Field(
        default=SAFE_KEY_PATTERN,
        description="regular expression every key must match as a whole (floe_core.partition_keys)",
    )

    @field_validator("key_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str) -> str:
        compile_key_pattern(value)
        return value


PartitionsConfig = Annotated[
    TimeWindowPartitions | StaticPartitions | MultiPartitions | DynamicPartitions,
    Field(discriminator="type"),
]
