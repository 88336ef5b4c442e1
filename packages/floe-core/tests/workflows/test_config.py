"""floe.yaml `workflows:`: runtime per environment, notification settings, inline specs, schema, round trip."""

from __future__ import annotations

import jsonschema
import pytest
from floe_core.errors import FloeValidationError
from floe_core.loader import parse_spec
from floe_core.schema import spec_json_schema
from floe_core.spec import FloeSpec
from floe_core.workflows import (
    DockerRuntime,
    KubernetesRuntime,
    SmtpSettings,
    SubprocessRuntime,
    smtp_settings,
)
from floe_core.workflows.notifications import NotificationSettings, SlackNotification, slack_webhook_env
from floe_core.yaml_source import load_yaml

BASE = """\
name: demo
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb, properties: {path: demo.duckdb}}
"""
RUNTIMES = """\
workflows:
  path: workflows
  runtime:
    type: ${FLOE_WORKFLOW_RUNTIME:subprocess}
    docker: {docker_host: "unix:///run/podman.sock", network: lakehouse, pull: never, volumes: ["/data:/data:ro"]}
    kubernetes: {namespace: lakehouse-jobs, service_account: floe-jobs, image_pull_policy: IfNotPresent}
  notifications:
    email: {host: smtp.example.com, port: 2525, username: floe, password_env: SMTP_PASSWORD, from: floe@example.com}
    slack: {webhook_url_env: ALERTS_WEBHOOK}
"""


def test_the_runtime_is_chosen_by_the_environment() -> None:
    runtimes = {
        value: parse_spec(
            BASE + RUNTIMES, env={"FLOE_WORKFLOW_RUNTIME": value} if value else {}
        ).workflows.runtime
        for value in ("", "docker", "kubernetes")
    }
    assert runtimes[""].type == "subprocess" and isinstance(runtimes[""].selected, SubprocessRuntime)
    docker = runtimes["docker"].selected
    assert isinstance(docker, DockerRuntime)
    assert (docker.docker_host, docker.network, docker.pull, docker.volumes) == (
        "unix:///run/podman.sock",
        "lakehouse",
        "never",
        ["/data:/data:ro"],
    )
    kubernetes = runtimes["kubernetes"].selected
    assert isinstance(kubernetes, KubernetesRuntime)
    assert (kubernetes.namespace, kubernetes.service_account) == ("lakehouse-jobs", "floe-jobs")
    assert parse_spec(BASE, env={}).workflows.runtime.type == "docker"  # the default: containers


def test_runtime_problems_are_floe_yaml_problems() -> None:
    text = BASE + "workflows:\n  runtime: {type: ${RT:podman}, docker: {volumes: [data]}}\n"
    with pytest.raises(FloeValidationError) as err:
        parse_spec(text, env={})
    assert [i.render("floe.yaml") for i in err.value.issues] == [
        "floe.yaml:8: workflows.runtime.type: must be one of: subprocess, docker, kubernetes (got 'podman')",
        "floe.yaml:8: workflows.runtime.docker.volumes: invalid volumes ['data']: expected"
        " 'host_path:/container/path' or '...:ro'",
    ]
    with pytest.raises(FloeValidationError) as err:
        parse_spec(BASE + "workflows:\n  runtime: {type: kubernetes}\n", env={})
    assert [i.render("floe.yaml") for i in err.value.issues] == [
        "floe.yaml:8: workflows.runtime: runtime type kubernetes needs `kubernetes: {namespace: ...}`"
    ]


def test_notification_settings_and_their_environment_fallback() -> None:
    settings = parse_spec(BASE + RUNTIMES, env={}).workflows.notifications
    smtp = smtp_settings(settings, {"FLOE_SMTP_HOST": "ignored"})
    assert smtp is not None and (smtp.host, smtp.port, smtp.sender, smtp.password_env) == (
        "smtp.example.com",
        2525,
        "floe@example.com",
        "SMTP_PASSWORD",
    )
    assert slack_webhook_env(SlackNotification(type="slack", channel="#x"), settings) == "ALERTS_WEBHOOK"
    assert (
        slack_webhook_env(SlackNotification(type="slack", channel="#x", webhook_url_env="OTHER"), settings)
        == "OTHER"
    )
    empty = NotificationSettings()
    assert slack_webhook_env(SlackNotification(type="slack", channel="#x"), empty) == "FLOE_SLACK_WEBHOOK_URL"
    assert smtp_settings(empty, {}) is None
    environ = {
        "FLOE_SMTP_HOST": "127.0.0.1",
        "FLOE_SMTP_PORT": "8025",
        "FLOE_SMTP_USER": "u",
        "FLOE_SMTP_PASSWORD_ENV": "MAIL_PW",
        "FLOE_SMTP_FROM": "floe@example.com",
        "FLOE_SMTP_SECURITY": "none",
    }
    assert smtp_settings(empty, environ) == SmtpSettings.model_validate(
        {
            "host": "127.0.0.1",
            "port": 8025,
            "username": "u",
            "password_env": "MAIL_PW",
            "from": "floe@example.com",
            "security": "none",
        }
    )
    with pytest.raises(Exception, match="the SMTP settings from the environment"):
        smtp_settings(empty, {"FLOE_SMTP_HOST": "h", "FLOE_SMTP_PORT": "x"})


INLINE = """\
workflows:
  inline:
    - workflow:
        name: small
        schedule: {interval: 1h, start_date: 2024-01-01, timezone: Europe/Berlin}
        notifications:
          on_failure:
            - {type: pagerduty, routing_key_env: PD_KEY}
            - {type: webhook, url: "https://hooks.example.com/x", headers_env: {Authorization: HOOK_AUTH}}
        jobs:
          - job:
              name: a
              image: lakehouse/a:1
              env: {PW: {secret_env: PW}, KEY_FILE: /run/key}
              resources: {cpu: 250m, memory: 1Gi}
              retry: {max_attempts: 2, delay: 1m}
"""


def test_specs_round_trip_through_json() -> None:
    # CompiledArtifacts stores FloeSpec as JSON and validates it again when Dagster loads
    spec = parse_spec(BASE + INLINE, env={})
    again = FloeSpec.model_validate_json(spec.model_dump_json())
    assert again == spec
    assert again.workflows.inline[0].workflow.job("a").resources.memory_bytes == 2**30  # type: ignore[union-attr]


def test_the_json_schema_covers_workflows() -> None:
    schema = spec_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    # one `workflows:` mapping with inline specs, path, runtime (type as a ${...} reference) and notifications
    data = load_yaml(BASE + INLINE + RUNTIMES.removeprefix("workflows:\n")).data
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError, match="'hourly' is not valid"):
        jsonschema.validate({**data, "workflows": {"runtime": {"type": "hourly"}}}, schema)  # type: ignore[dict-item]


def test_the_executor_is_chosen_by_the_environment() -> None:
    text = BASE + (
        "workflows:\n  executor:\n    type: ${FLOE_WORKFLOW_EXECUTOR:multiprocess}\n"
        "    multiprocess: {max_concurrent: 3}\n"
        "    celery: {broker: 'redis://redis:6379/2', backend: 'redis://redis:6379/3', include: [my.tasks],"
        " config_source: {worker_prefetch_multiplier: 1}}\n"
    )
    default = parse_spec(text, env={}).workflows.executor
    assert (default.type, default.multiprocess.max_concurrent) == ("multiprocess", 3)
    celery = parse_spec(text, env={"FLOE_WORKFLOW_EXECUTOR": "celery"}).workflows.executor
    assert celery.type == "celery"
    assert (celery.celery.broker, celery.celery.backend, celery.celery.include) == (
        "redis://redis:6379/2",
        "redis://redis:6379/3",
        ["my.tasks"],
    )
    assert celery.celery.config_source == {"worker_prefetch_multiplier": 1}
    unset = parse_spec(BASE, env={}).workflows.executor
    assert (unset.type, unset.celery.broker) == ("multiprocess", "redis://127.0.0.1:6379/0")


def test_executor_problems_are_floe_yaml_problems() -> None:
    text = BASE + "workflows:\n  executor: {type: ${EX:dask}, multiprocess: {max_concurrent: -1}}\n"
    with pytest.raises(FloeValidationError) as err:
        parse_spec(text, env={})
    rendered = [i.render("floe.yaml") for i in err.value.issues]
    assert rendered[0] == (
        "floe.yaml:8: workflows.executor.type: must be one of: in_process, multiprocess, celery, k8s (got 'dask')"
    )
    assert len(rendered) == 2 and rendered[1].startswith(
        "floe.yaml:8: workflows.executor.multiprocess.max_concurrent"
    )
