"""`orchestration.backfills`: named partition backfills launched with `floe backfill <name>`."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, field_validator, model_validator

from floe_core.spec.base import FloeModel
from floe_core.spec.orchestration._common import Name


class BackfillConfig(FloeModel):
    """A range (`start`..`end`, inclusive partition keys) or explicit `keys` of the job's partitions."""

    job: Name
    start: str | None = Field(default=None, description="first partition key, e.g. 2024-01-01")
    end: str | None = Field(default=None, description="last partition key (inclusive)")
    keys: list[str] = Field(default_factory=list, description="explicit partition keys")
    batch_size: int = Field(default=1, ge=1, description="partitions per run")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _to_str(cls, value: object) -> object:
        # YAML reads an unquoted 2024-01-01 as a date; partition keys are strings.
        return value.isoformat() if isinstance(value, date | datetime) else value

    @field_validator("keys", mode="before")
    @classmethod
    def _keys_to_str(cls, value: object) -> object:
        if isinstance(value, list):
            return [v.isoformat() if isinstance(v, date | datetime) else v for v in value]
        return value

    @model_validator(mode="after")
    def _range_or_keys(self) -> BackfillConfig:
        has_range = self.start is not None or self.end is not None
        if has_range and self.keys:
            raise ValueError("give either start/end or keys, not both")
        if not has_range and not self.keys:
            raise ValueError("backfill selects no partitions: expected start and end, or keys")
        if has_range and (self.start is None or self.end is None):
            raise ValueError("a partition range needs both start and end")
        return self
