"""Reconstructs a workflow job in every process of a run (the multiprocess executor starts one per op):
`build_reconstructable_job("workflow_jobs", "workflow_job", (artifacts, name))`."""

from __future__ import annotations

from dagster import JobDefinition
from floe_dagster import FloeDefinitions


def workflow_job(artifacts: str, name: str) -> JobDefinition:
    return FloeDefinitions.from_compiled_artifacts(artifacts).resolve_job_def(name)
