"""Container workflows from an orchestrator-agnostic spec (the workflow orchestration contract; docs/workflows.md).

Public API (what orchestrator adapters, the API and the CLI call):

    load_workflows(spec, config_path) -> WorkflowSet          every workflow of a project, validated
    load_workflow_text(text, source, *, runtime, existing) -> WorkflowSpec   one document (e.g. from an API)
    render_plan(workflow, when, *, params_override, trigger_file) -> list[JobInvocation]   THE contract
    plan_context(workflow, when, *, trigger_file) -> TemplateContext
    window_for / windows_between / first_window / last_complete_window / previous_window
    partition_fmt / partition_key / window_for_partition_key / overlapping_windows
    render / analyze (the one sandboxed Jinja2 renderer), RetryPolicy.delays()
"""

from __future__ import annotations

# floe_core.spec imports this package's config module: initializing it first keeps the import order acyclic
import floe_core.spec  # noqa: F401
from floe_core.secrets import credential_in, is_secret_name
from floe_core.spec.executor import CeleryExecutor, ExecutorConfig
from floe_core.workflows.config import (
    DockerRuntime,
    KubernetesRuntime,
    RuntimeConfig,
    SubprocessRuntime,
    WorkflowsConfig,
)
from floe_core.workflows.context import TemplateContext, trigger_context, window_context
from floe_core.workflows.durations import format_duration, parse_duration
from floe_core.workflows.job import (
    JobDocument,
    JobRef,
    JobSpec,
    K8sSecret,
    Resources,
    RetryPolicy,
    SecretEnv,
)
from floe_core.workflows.layout import SourceFile
from floe_core.workflows.loading import (
    LoadedWorkflow,
    WorkflowSet,
    load_workflow_text,
    load_workflows,
    text_sha256,
)
from floe_core.workflows.notifications import (
    EmailNotification,
    NotificationSettings,
    PagerDutyNotification,
    SlackNotification,
    SmtpSettings,
    WebhookNotification,
    slack_webhook_env,
    smtp_settings,
)
from floe_core.workflows.plan import JobInvocation, plan_context, render_plan
from floe_core.workflows.quantities import cpu_millicores, cpu_nano_cpus, memory_bytes, parse_quantity
from floe_core.workflows.schedules import CronSchedule, EventSchedule, IntervalSchedule
from floe_core.workflows.source import LocatedIssue, WorkflowValidationError
from floe_core.workflows.templating import TemplateError, analyze, render
from floe_core.workflows.windows import (
    Window,
    first_window,
    last_complete_window,
    overlapping_windows,
    partition_fmt,
    partition_key,
    previous_window,
    window_for,
    window_for_partition_key,
    windows_between,
)
from floe_core.workflows.workflow import JobEntry, WorkflowDependency, WorkflowDocument, WorkflowSpec

__all__ = [
    "CeleryExecutor",
    "CronSchedule",
    "DockerRuntime",
    "EmailNotification",
    "EventSchedule",
    "ExecutorConfig",
    "IntervalSchedule",
    "JobDocument",
    "JobEntry",
    "JobInvocation",
    "JobRef",
    "JobSpec",
    "K8sSecret",
    "KubernetesRuntime",
    "LoadedWorkflow",
    "LocatedIssue",
    "NotificationSettings",
    "PagerDutyNotification",
    "Resources",
    "RetryPolicy",
    "RuntimeConfig",
    "SecretEnv",
    "SlackNotification",
    "SmtpSettings",
    "SourceFile",
    "SubprocessRuntime",
    "TemplateContext",
    "TemplateError",
    "WebhookNotification",
    "Window",
    "WorkflowDependency",
    "WorkflowDocument",
    "WorkflowSet",
    "WorkflowSpec",
    "WorkflowValidationError",
    "WorkflowsConfig",
    "analyze",
    "cpu_millicores",
    "cpu_nano_cpus",
    "credential_in",
    "first_window",
    "format_duration",
    "is_secret_name",
    "last_complete_window",
    "load_workflow_text",
    "load_workflows",
    "memory_bytes",
    "overlapping_windows",
    "parse_duration",
    "parse_quantity",
    "partition_fmt",
    "partition_key",
    "plan_context",
    "previous_window",
    "render",
    "render_plan",
    "slack_webhook_env",
    "smtp_settings",
    "text_sha256",
    "trigger_context",
    "window_context",
    "window_for",
    "window_for_partition_key",
    "windows_between",
]
