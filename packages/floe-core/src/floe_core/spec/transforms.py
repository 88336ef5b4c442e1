"""`transforms:` — the dbt project(s) floe orchestrates."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from floe_core.spec.base import FloeModel


class DbtTransform(FloeModel):
    type: Literal["dbt"]
    path: str = Field(description="dbt project folder, relative to floe.yaml")
    profile_name: str | None = Field(default=None, description="dbt profile name; default: dbt_project.yml's")


Transform = Annotated[DbtTransform, Field(discriminator="type")]
