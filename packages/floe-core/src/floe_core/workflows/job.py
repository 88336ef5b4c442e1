"""A containerized job (contract §3.1): image, command/args, params, env, resources, retry, timeout."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

from floe_core.spec.base import FloeModel
from floe_core.spec.orchestration._common import NAME_PATTERN
from floe_core.workflows.durations import Duration, parse_duration
from floe_core.workflows.quantities import (
    CpuQuantity,
    MemoryQuantity,
    cpu_cores,
    cpu_millicores,
    cpu_nano_cpus,
    memory_bytes,
)

# Workflow and job names become Dagster job/op names, Airflow dag/task ids and Kubernetes labels (<= 63).
Name = Annotated[
    str, Field(pattern=NAME_PATTERN, max_length=63, description="letters, digits, underscores; at most 63")
]
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
EnvName = Annotated[str, Field(pattern=ENV_NAME_PATTERN, description="environment variable name")]
ParamKey = Annotated[str, Field(pattern=NAME_PATTERN, description="identifier, usable as params.<key>")]
ParamValue = str | bool | int | float
_IMAGE = re.compile(r"^[a-z0-9]+(?:[._\-/:@][A-Za-z0-9_.\-]+)*$")


def _check_image(value: str) -> str:
    if not _IMAGE.match(value):
        raise ValueError(
            f"invalid image reference {value!r}: expected e.g. 'lakehouse/ingest:1.2.0' or"
            " 'registry.example.com/team/job@sha256:...'"
        )
    return value


Image = Annotated[str, AfterValidator(_check_image), Field(description="container image reference")]


class SecretEnv(FloeModel):
    """`{secret_env: NAME}`: the value of the orchestrator's environment variable NAME, at run time."""

    secret_env: EnvName

    def __str__(self) -> str:
        return f"<secret from ${self.secret_env}>"


class K8sSecretKey(FloeModel):
    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253, description="Secret name")
    key: str = Field(pattern=r"^[-._a-zA-Z0-9]+$", max_length=253, description="key inside the Secret")


class K8sSecret(FloeModel):
    """`{k8s_secret: {name, key}}`: a key of a Kubernetes Secret in the job's namespace (kubernetes runtime)."""

    k8s_secret: K8sSecretKey

    def __str__(self) -> str:
        return f"<secret from k8s {self.k8s_secret.name}/{self.k8s_secret.key}>"


SecretRef = SecretEnv | K8sSecret


def _env_kind(value: object) -> str | None:
    if isinstance(value, str):
        return "text"
    if isinstance(value, SecretEnv) or (isinstance(value, dict) and "secret_env" in value):
        return "secret_env_ref"
    if isinstance(value, K8sSecret) or (isinstance(value, dict) and "k8s_secret" in value):
        return "k8s_secret_ref"
    return None


EnvValue = Annotated[
    Annotated[str, Tag("text")]
    | Annotated[SecretEnv, Tag("secret_env_ref")]
    | Annotated[K8sSecret, Tag("k8s_secret_ref")],
    Discriminator(
        _env_kind,
        custom_error_type="env_value",
        custom_error_message="expected a string, {secret_env: NAME} or {k8s_secret: {name: ..., key: ...}}",
    ),
]


class Resources(FloeModel):
    """Requests and limits of the container (Kubernetes quantities); ignored by the subprocess runtime."""

    cpu: CpuQuantity | None = None
    memory: MemoryQuantity | None = None

    @property
    def cpu_cores(self) -> Decimal | None:
        return None if self.cpu is None else cpu_cores(self.cpu)

    @property
    def cpu_millicores(self) -> int | None:
        return None if self.cpu is None else cpu_millicores(self.cpu)

    @property
    def nano_cpus(self) -> int | None:
        """docker's nano_cpus."""
        return None if self.cpu is None else cpu_nano_cpus(self.cpu)

    @property
    def memory_bytes(self) -> int | None:
        """docker's mem_limit, in bytes."""
        return None if self.memory is None else memory_bytes(self.memory)


class RetryPolicy(FloeModel):
    """Contract §9.1 plus a cap. `max_attempts` counts every attempt, the first one included.

    The wait before attempt n+1 (n = 1 .. max_attempts-1) is
        delay * backoff_multiplier ** (n - 1)   with exponential_backoff, else   delay
    capped at max_delay. `delays()` lists them; every adapter must wait exactly these.
    """

    max_attempts: int = Field(ge=1, le=100, description="attempts in total, the first one included")
    delay: Duration | None = Field(default=None, description="wait before the first retry, e.g. '5m'")
    exponential_backoff: bool = False
    backoff_multiplier: float | None = Field(
        default=None, gt=1, le=10, description="growth of the delay per retry (default 2 when exponential)"
    )
    max_delay: Duration | None = Field(default=None, description="cap on any single delay")

    @model_validator(mode="after")
    def _coherent(self) -> RetryPolicy:
        if self.max_attempts > 1 and self.delay is None:
            raise ValueError("`delay` is required when max_attempts > 1 (the wait before a retry), e.g. '5m'")
        if self.backoff_multiplier is not None and not self.exponential_backoff:
            raise ValueError("backoff_multiplier needs exponential_backoff: true")
        if (
            self.max_delay is not None
            and self.delay is not None
            and parse_duration(self.max_delay) < parse_duration(self.delay)
        ):
            raise ValueError(f"max_delay {self.max_delay!r} is shorter than delay {self.delay!r}")
        return self

    @property
    def multiplier(self) -> float:
        if not self.exponential_backoff:
            return 1.0
        return 2.0 if self.backoff_multiplier is None else self.backoff_multiplier

    def delays(self) -> list[float]:
        """Seconds to wait before attempts 2 .. max_attempts (empty without retries)."""
        if self.max_attempts == 1 or self.delay is None:
            return []
        base = float(parse_duration(self.delay))
        cap = float(parse_duration(self.max_delay)) if self.max_delay is not None else None
        out = []
        for retry in range(self.max_attempts - 1):
            wait = base * self.multiplier**retry
            out.append(min(wait, cap) if cap is not None else wait)
        return out


NO_RETRY = RetryPolicy(max_attempts=1)


class JobSpec(FloeModel):
    """One container run. Without `command` the image's entrypoint runs with `args`."""

    name: Name
    description: str | None = None
    image: Image
    command: list[str] | None = Field(
        default=None, min_length=1, description="overrides the image entrypoint; templated"
    )
    args: list[str] = Field(default_factory=list, description="arguments; templated")
    params: dict[ParamKey, ParamValue] = Field(
        default_factory=dict,
        description="templated values, available as params.<key> and passed as env <KEY upper-cased>",
    )
    env: dict[EnvName, EnvValue] = Field(
        default_factory=dict,
        description="string (templated), {secret_env: NAME} or {k8s_secret: {name, key}}",
    )
    resources: Resources | None = None
    retry: RetryPolicy = Field(default=NO_RETRY)
    timeout: Duration | None = Field(default=None, description="stop the attempt after this long")

    @property
    def timeout_seconds(self) -> int | None:
        return None if self.timeout is None else parse_duration(self.timeout)


class JobRef(FloeModel):
    """A job kept in its own file: `{ref: jobs/extract_sales.yaml}`, or only `{name: extract_sales}`,
    which means `jobs/extract_sales.yaml` (then .yml, .json) next to workflow.yaml."""

    ref: str | None = Field(default=None, min_length=1, description="job file, relative to workflow.yaml")
    name: Name | None = None

    @model_validator(mode="after")
    def _one(self) -> JobRef:
        if (self.ref is None) == (self.name is None):
            raise ValueError("a job reference is either {ref: jobs/<file>.yaml} or {name: <job>}")
        return self


class JobDocument(FloeModel):
    """A job file as the contract writes it: `job: {name: ..., image: ...}`."""

    job: JobSpec
