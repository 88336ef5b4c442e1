"""Rebuilds a floe project's job in every process of a run (the multiprocess executor starts one per
step): `build_reconstructable_job("asset_jobs", "job_named", (artifacts, name))`."""

from __future__ import annotations

from dagster import JobDefinition
from floe_dagster import FloeDefinitions


def job_named(artifacts: str, name: str) -> JobDefinition:
    return FloeDefinitions.from_compiled_artifacts(artifacts).resolve_job_def(name)
