"""`compute:` — named dbt targets (one module per target type) and the one active by default."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Tag, ValidationInfo, field_validator

from floe_core.spec.base import FloeModel
from floe_core.spec.compute._common import (
    ENV_VAR_NAME_PATTERN,
    EnvVarName,
    TargetProperties,
    choose_by,
)
from floe_core.spec.compute.bigquery import BigQueryTarget
from floe_core.spec.compute.databricks import DatabricksTarget
from floe_core.spec.compute.duckdb import DuckDBTarget
from floe_core.spec.compute.postgres import PostgresTarget
from floe_core.spec.compute.redshift import RedshiftTarget
from floe_core.spec.compute.snowflake import SnowflakeTarget
from floe_core.spec.compute.spark import SparkTarget

SUPPORTED_TARGET_TYPES = ("duckdb", "snowflake", "bigquery", "redshift", "databricks", "postgres", "spark")

ComputeTarget = Annotated[
    Annotated[DuckDBTarget, Tag("duckdb")]
    | Annotated[SnowflakeTarget, Tag("snowflake")]
    | Annotated[BigQueryTarget, Tag("bigquery")]
    | Annotated[RedshiftTarget, Tag("redshift")]
    | Annotated[DatabricksTarget, Tag("databricks")]
    | Annotated[PostgresTarget, Tag("postgres")]
    | Annotated[SparkTarget, Tag("spark")],
    # One message for a missing and for an unknown `type`, listing what is supported.
    choose_by("type", *SUPPORTED_TARGET_TYPES),
    Field(description="One dbt target; `type` selects the adapter"),
]


class ComputeConfig(FloeModel):
    """Named compute targets (dbt targets of one generated profile) and the default one."""

    # `targets` is declared first so that validating `default` can see which targets exist.
    targets: dict[str, ComputeTarget] = Field(
        min_length=1, description="Target name (dbt target name, e.g. dev, prod) -> target"
    )
    default: str = Field(description="Name of the target used unless another is selected")

    @field_validator("default")
    @classmethod
    def _default_names_a_target(cls, default: str, info: ValidationInfo) -> str:
        targets = info.data.get("targets")
        if targets is not None and default not in targets:
            raise ValueError(f"expected one of the targets: {', '.join(sorted(targets))}")
        return default

    @property
    def active(self) -> ComputeTarget:
        """The default target."""
        return self.targets[self.default]


__all__ = [
    "ENV_VAR_NAME_PATTERN",
    "SUPPORTED_TARGET_TYPES",
    "BigQueryTarget",
    "ComputeConfig",
    "ComputeTarget",
    "DatabricksTarget",
    "DuckDBTarget",
    "EnvVarName",
    "PostgresTarget",
    "RedshiftTarget",
    "SnowflakeTarget",
    "SparkTarget",
    "TargetProperties",
]
