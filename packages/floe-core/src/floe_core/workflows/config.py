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
from typing import Literal

from pydantic import Field, field_validator, model_validator

from floe_core.spec.base import FloeModel
from floe_core.spec.executor import (  # noqa: F401  (re-exported: workflows.executor is the same model)
    CeleryExecutor,
    ExecutorConfig,
    ExecutorType,
    K8sExecutor,
    MultiprocessExecutor,
)
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


class WorkflowsConfig(FloeModel):
    path: str | None = Field(default=None, description="folder of workflow folders, relative to floe.yaml")
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    inline: list[WorkflowDocument] = Field(
        default_factory=list, description="small projects: workflow documents written in floe.yaml"
    )
