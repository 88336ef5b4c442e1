"""`type: duckdb` — a local (or MotherDuck) DuckDB database; no credentials needed locally."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag

from floe_core.spec.base import FloeModel
from floe_core.spec.compute._common import EnvVarName, ExtraValue, TargetProperties, choose_by


class DuckDBAttachment(FloeModel):
    """Another database attached to the DuckDB session (`ATTACH ... AS alias`)."""

    path: str = Field(description="Database file, URL or `md:` name to attach")
    alias: str | None = Field(default=None, description="Name it is attached as; default: from the path")
    type: str | None = Field(default=None, description="Database type, e.g. sqlite or postgres")
    read_only: bool = Field(default=False, description="Attach read-only")


class DuckDBProperties(TargetProperties):
    """DuckDB connection settings."""

    path: str = Field(
        default=":memory:",
        description="Database file; a relative path is relative to the folder holding floe.yaml."
        " `md:name` connects to MotherDuck.",
    )
    schema_: str = Field(default="main", alias="schema", description="Default schema for dbt models")
    extensions: list[str] = Field(default_factory=list, description="DuckDB extensions to load, e.g. httpfs")
    settings: dict[str, ExtraValue] = Field(
        default_factory=dict, description="DuckDB settings (`SET key = value`) for every connection"
    )
    attach: list[DuckDBAttachment] = Field(default_factory=list, description="Databases to attach")


class DuckDBLocalCredentials(FloeModel):
    """No credentials: a local database file or :memory:."""

    method: Literal["none"] = Field(description="No authentication")


class DuckDBMotherDuckCredentials(FloeModel):
    """MotherDuck: the service token comes from an environment variable."""

    method: Literal["motherduck"] = Field(description="Authenticate to MotherDuck with a token")
    token_env: EnvVarName = Field(description="Environment variable holding the MotherDuck token")


DuckDBCredentials = Annotated[
    Annotated[DuckDBLocalCredentials, Tag("none")]
    | Annotated[DuckDBMotherDuckCredentials, Tag("motherduck")],
    choose_by("method", "none", "motherduck"),
]


class DuckDBTarget(FloeModel):
    """A DuckDB target (dbt-duckdb)."""

    type: Literal["duckdb"] = Field(description="Target type")
    properties: DuckDBProperties = Field(default_factory=DuckDBProperties, description="Connection settings")
    credentials: DuckDBCredentials = Field(
        default_factory=lambda: DuckDBLocalCredentials(method="none"),
        description="Optional: `method: motherduck` with `token_env`",
    )
