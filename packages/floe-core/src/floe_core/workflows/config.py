"""`workflows:` in floe.yaml: where workflow specs live, which runtime runs their containers, notifications.

The runtime is chosen per environment, never in a workflow (contract §14: no job changes to move):

    workflows:
      path: workflows                                  # <path>/<workflow>/workflow.yaml (+ jobs/*.yaml)
      runtime:
        type: ${FLOE_WORKFLOW_RUNTIME:subprocess}       # subprocess | docker | kubernetes
        docker: {network: lakehouse, pull: missing}
        kubernetes: {namespace: lakehouse-jobs, service_account: floe-jobs}

Settings of every runtime may sit side by side; `type` picks one, so an environment variable can switch
runtimes without editing the file.

The executor (where a workflow run's steps run, also per environment) is chosen the same way:

    workflows:
      executor:
        type: ${FLOE_WORKFLOW_EXECUTOR:multiprocess}   # in_process | multiprocess | celery
        multiprocess: {max_concurrent: 4}
        celery: {broker: "redis://127.0.0.1:6379/0", backend: "redis://127.0.0.1:6379/1"}
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from floe_core.spec.base import FloeModel
from floe_core.workflows.notifications import NotificationSettings
from floe_core.workflows.workflow import WorkflowDocument

RuntimeType = Literal["subprocess", "docker", "kubernetes"]
_VOLUME = re.compile(r"^[^:\s]+:/[^:\s]*(:(ro|rw))?$")


class SubprocessRuntime(FloeModel):
    """Runs command + args as a local process (dev, CI); the image is ignored, so `command` is required."""

    working_dir: str | None = Field(
        default=None, description="folder, relative to floe.yaml (default: its folder)"
    )


class DockerRuntime(FloeModel):
    """Runs the image through a Docker-compatible API (Docker, podman's service socket)."""

    docker_host: str | None = Field(
        default=None, description="e.g. unix:///run/podman.sock; default: DOCKER_HOST"
    )
    network: str | None = None
    pull: Literal["never", "missing", "always"] = "missing"
    volumes: list[str] = Field(default_factory=list, description="'host_path:/container/path[:ro|rw]'")

    @field_validator("volumes")
    @classmethod
    def _volumes(cls, volumes: list[str]) -> list[str]:
        bad = [v for v in volumes if not _VOLUME.match(v)]
        if bad:
            raise ValueError(f"invalid volumes {bad}: expected 'host_path:/container/path' or '...:ro'")
        return volumes


class KubernetesRuntime(FloeModel):
    """Runs each job as a pod; `resources` become its requests and limits."""

    namespace: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)
    service_account: str | None = None
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None


class RuntimeConfig(FloeModel):
    type: RuntimeType = Field(default="docker", description="subprocess | docker | kubernetes")
    subprocess: SubprocessRuntime = Field(default_factory=SubprocessRuntime)
    docker: DockerRuntime = Field(default_factory=DockerRuntime)
    kubernetes: KubernetesRuntime | None = None

    @model_validator(mode="after")
    def _selected_is_configured(self) -> RuntimeConfig:
        if self.type == "kubernetes" and self.kubernetes is None:
            raise ValueError("runtime type kubernetes needs `kubernetes: {namespace: ...}`")
        return self

    @property
    def selected(self) -> SubprocessRuntime | DockerRuntime | KubernetesRuntime:
        """The settings of the runtime `type` names."""
        if self.type == "subprocess":
            return self.subprocess
        if self.type == "docker":
            return self.docker
        assert self.kubernetes is not None  # validated
        return self.kubernetes


class MultiprocessExecutor(FloeModel):
    max_concurrent: int | None = Field(
        default=None, ge=0, description="steps run at once in one run (default: the CPU count; 0 as well)"
    )


class CeleryExecutor(FloeModel):
    """dagster-celery's celery_executor: each step is a Celery task, run by `dagster-celery worker` processes
    (any machine that has the project and the Dagster instance) that take it from the broker."""

    broker: str = Field(
        default="redis://127.0.0.1:6379/0", description="Celery broker URL (e.g. redis://host:6379/0)"
    )
    backend: str = Field(
        default="redis://127.0.0.1:6379/1", description="Celery result backend URL (e.g. redis://host:6379/1)"
    )
    include: list[str] = Field(
        default_factory=list, description="modules the workers import (their tasks), as dagster-celery's own"
    )
    config_source: dict[str, Any] = Field(
        default_factory=dict, description="further Celery settings, e.g. {worker_prefetch_multiplier: 1}"
    )


ExecutorType = Literal["in_process", "multiprocess", "celery"]


class ExecutorConfig(FloeModel):
    """Where a workflow run's steps run: one process (in_process), a process per step on the run's machine
    (multiprocess, Dagster's default) or Celery workers taking steps from a broker (celery)."""

    type: ExecutorType = Field(default="multiprocess", description="in_process | multiprocess | celery")
    multiprocess: MultiprocessExecutor = Field(default_factory=MultiprocessExecutor)
    celery: CeleryExecutor = Field(default_factory=CeleryExecutor)


class WorkflowsConfig(FloeModel):
    path: str | None = Field(default=None, description="folder of workflow folders, relative to floe.yaml")
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    inline: list[WorkflowDocument] = Field(
        default_factory=list, description="small projects: workflow documents written in floe.yaml"
    )
