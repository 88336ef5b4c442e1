"""`orchestration.jobs`: `batch` jobs select assets; `ops` jobs run a Python function (maintenance)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from floe_core.spec.base import FloeModel
from floe_core.spec.orchestration._common import Target
from floe_core.spec.orchestration.assets import check_selection_syntax

Scalar = str | int | float | bool
ParamValue = Scalar | list[Scalar]


class BatchJob(FloeModel):
    """Materializes the assets matching any of groups / keys / tags / selection (their union)."""

    type: Literal["batch"]
    description: str | None = None
    selection: str | None = Field(
        default=None, description="Dagster selection syntax, e.g. 'group:silver or key:raw_orders+'"
    )
    groups: list[str] = Field(default_factory=list)
    keys: list[str] = Field(default_factory=list, description="asset keys ('a/b') or key globs ('raw_*')")
    tags: dict[str, str] = Field(default_factory=dict, description="assets having all these tags")
    run_tags: dict[str, str] = Field(default_factory=dict, description="tags on every run of the job")

    @field_validator("selection")
    @classmethod
    def _syntax(cls, value: str | None) -> str | None:
        return None if value is None else check_selection_syntax(value)

    @model_validator(mode="after")
    def _selects_something(self) -> BatchJob:
        if not (self.selection or self.groups or self.keys or self.tags):
            raise ValueError("batch job selects nothing: expected one of selection, groups, keys, tags")
        return self


class OpsJob(FloeModel):
    """Runs `target(**args, **params)`; params are run config, overridable per run (launchpad, CLI)."""

    type: Literal["ops"]
    description: str | None = None
    target: Target
    args: dict[str, ParamValue] = Field(default_factory=dict, description="fixed keyword arguments")
    params: dict[str, ParamValue] = Field(
        default_factory=dict, description="keyword arguments with defaults, configurable per run"
    )
    run_tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _disjoint(self) -> OpsJob:
        both = sorted(set(self.args) & set(self.params))
        if both:
            raise ValueError(f"{both} appear in both args and params: a keyword belongs to one of them")
        return self


JobConfig = Annotated[BatchJob | OpsJob, Field(discriminator="type")]
