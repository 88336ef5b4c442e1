"""The kubernetes runtime: one pod per job attempt through dagster-k8s's PipesK8sClient
(`pip install 'floe-data-dagster[kubernetes]'`).

`pod_request` turns a JobInvocation into what PipesK8sClient.run takes (image, command, env, base pod
meta/spec); `pod_body` renders the pod with dagster-k8s's own builder (`build_pod_body`, the one `run` uses),
so what tests validate is what a cluster receives. `resources` are the container's requests and limits
(equal: the job gets what it asked for, and no more); `{k8s_secret: {name, key}}` env values become
`valueFrom.secretKeyRef` (the value never leaves the cluster); `{secret_env: NAME}` is read from the run
worker's environment like for docker. No `command` in the spec: the image's entrypoint runs with argv as
the container's `args`. The job's `timeout` bounds the wait for the pod (PipesK8sClient deletes it after).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dagster import Failure, OpExecutionContext
from floe_core.workflows import RuntimeConfig, SecretEnv
from floe_core.workflows.config import KubernetesRuntime
from floe_core.workflows.plan import JobInvocation

RUN_LABEL = "floe.run_id"
JOB_LABEL = "floe.job"
DEFAULT_POD_WAIT_SECONDS = 86400  # dagster-k8s's default; a job's timeout replaces it


@dataclass(frozen=True)
class PodRequest:
    image: str
    command: list[str] | None
    env: dict[str, str]
    base_pod_meta: dict[str, Any]
    base_pod_spec: dict[str, Any] = field(default_factory=dict)


def pod_request(
    invocation: JobInvocation, settings: KubernetesRuntime, environ: Mapping[str, str], run_id: str
) -> PodRequest:
    plain: dict[str, str] = {}
    from_secrets: list[dict[str, Any]] = []
    missing: list[str] = []
    for name, value in invocation.env.items():
        if isinstance(value, str):
            plain[name] = value
        elif isinstance(value, SecretEnv):
            if value.secret_env in environ:
                plain[name] = environ[value.secret_env]
            else:
                missing.append(f"{name} (from ${value.secret_env})")
        else:
            ref = {"name": value.k8s_secret.name, "key": value.k8s_secret.key}
            from_secrets.append({"name": name, "value_from": {"secret_key_ref": ref}})
    if missing:
        raise Failure(f"job {invocation.job}: environment variable(s) not set: {', '.join(missing)}")
    container: dict[str, Any] = {"name": "job", "image": invocation.image}
    if from_secrets:
        container["env"] = from_secrets
    if invocation.uses_entrypoint:
        container["args"] = list(invocation.argv)
    if settings.image_pull_policy:
        container["image_pull_policy"] = settings.image_pull_policy
    resources = invocation.resources
    if resources is not None and (resources.cpu is not None or resources.memory is not None):
        amounts = {k: v for k, v in (("cpu", resources.cpu), ("memory", resources.memory)) if v is not None}
        container["resources"] = {"requests": dict(amounts), "limits": dict(amounts)}
    spec: dict[str, Any] = {"containers": [container], "restart_policy": "Never"}
    if settings.service_account:
        spec["service_account_name"] = settings.service_account
    meta = {"labels": {RUN_LABEL: run_id, JOB_LABEL: invocation.job}}
    return PodRequest(
        image=invocation.image,
        command=None if invocation.uses_entrypoint else list(invocation.argv),
        env=plain,
        base_pod_meta=meta,
        base_pod_spec=spec,
    )


def pod_body(request: PodRequest, pod_name: str, bootstrap_env: Mapping[str, str] | None = None) -> Any:
    """The V1Pod dagster-k8s creates for `request` (its builder; `bootstrap_env`: Pipes' variables)."""
    from dagster_k8s.pipes import build_pod_body

    return build_pod_body(
        pod_name=pod_name,
        image=request.image,
        command=request.command,
        env_vars={**(bootstrap_env or {}), **request.env},
        base_pod_meta=request.base_pod_meta,
        base_pod_spec=request.base_pod_spec,
    )


def run_kubernetes(
    context: OpExecutionContext, invocation: JobInvocation, runtime: RuntimeConfig, environ: Mapping[str, str]
) -> None:
    try:
        from dagster_k8s import PipesK8sClient
    except ImportError:
        raise Failure(
            "the kubernetes runtime needs dagster-k8s: pip install 'floe-data-dagster[kubernetes]'"
        ) from None
    settings = runtime.kubernetes
    assert settings is not None  # floe-core: type kubernetes requires the settings
    request = pod_request(invocation, settings, environ, context.run_id)
    try:
        PipesK8sClient().run(
            context=context,
            image=request.image,
            command=request.command,
            namespace=settings.namespace,
            env=request.env,
            base_pod_meta=request.base_pod_meta,
            base_pod_spec=request.base_pod_spec,
            pod_wait_timeout=invocation.timeout_seconds or DEFAULT_POD_WAIT_SECONDS,
        )
    except Exception as exc:
        if "Timed out" in str(exc) and invocation.timeout_seconds is not None:
            raise Failure(f"job {invocation.job} timed out after {invocation.timeout_seconds} s") from None
        raise Failure(f"job {invocation.job} failed: {exc}") from None
