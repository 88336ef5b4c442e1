"""The executor model shared by `orchestration.executor` (dbt and Python jobs) and `workflows.executor`
(container workflows): where a Dagster run's steps run."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from floe_core.spec.base import FloeModel


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


class K8sExecutor(FloeModel):
    """dagster-k8s's k8s_job_executor: each step is a Kubernetes Job (the run itself launched by the k8s run
    launcher, see docs/orchestration.md)."""

    job_namespace: str | None = Field(default=None, description="namespace of the step Jobs")
    job_image: str | None = Field(default=None, description="image of the step pods (default: the run's)")
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = Field(default=None)
    service_account_name: str | None = Field(default=None)
    env_vars: list[str] = Field(default_factory=list, description="KEY=VALUE or KEY (taken from the run)")
    max_concurrent: int | None = Field(default=None, ge=0, description="step Jobs at once (default: no cap)")
    resources: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="container requests/limits, e.g. {requests: {cpu: 500m, memory: 1Gi}, limits: {...}}",
    )
    step_k8s_config: dict[str, Any] = Field(
        default_factory=dict,
        description="dagster-k8s's step_k8s_config as is (container_config, pod_spec_config, job_spec_config …)",
    )


ExecutorType = Literal["in_process", "multiprocess", "celery", "k8s"]


class ExecutorConfig(FloeModel):
    """Where a run's steps run: one process (in_process), a process per step on the run's machine
    (multiprocess, Dagster's default) Celery workers taking steps from a broker (celery) or a Kubernetes Job per step (k8s)."""

    type: ExecutorType = Field(default="multiprocess", description="in_process | multiprocess | celery | k8s")
    multiprocess: MultiprocessExecutor = Field(default_factory=MultiprocessExecutor)
    celery: CeleryExecutor = Field(default_factory=CeleryExecutor)
    k8s: K8sExecutor = Field(default_factory=K8sExecutor)
