"""The triggers file (seed 003's JSON, or YAML): read with line numbers, validated like floe.yaml — every
problem at once as `file:line: path: message (got value)`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import ValidationError

from floe_core.errors import FloeError, FloeValidationError, Issue
from floe_core.paths import YamlPath, format_path
from floe_core.suggest import closest
from floe_core.triggers.event import path_problem
from floe_core.triggers.spec import DagsterJobTarget, SqsMwaaTarget, Target, TriggerConfig
from floe_core.validation_errors import translate
from floe_core.yaml_source import load_yaml

QUEUE_ENV = "MWAA_TRIGGER_QUEUE_URL"


def load_triggers(
    path: str | Path, known_jobs: Iterable[str] | None = None, env: Mapping[str, str] | None = None
) -> TriggerConfig:
    """Read and validate a triggers file; `known_jobs`: the code location's jobs (upstream names and
    `dagster_job` targets must be among them)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise FloeError(f"{p}: cannot be read ({exc.strerror})") from None
    return parse_triggers(text, str(p), known_jobs, env)


def parse_triggers(
    text: str, source: str, known_jobs: Iterable[str] | None = None, env: Mapping[str, str] | None = None
) -> TriggerConfig:
    import os

    doc = load_yaml(text, source)
    environ = os.environ if env is None else env
    try:
        config = TriggerConfig.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as exc:
        issues = [
            Issue(format_path(i.path), i.message, i.value, doc.line_of(i.path))
            for i in translate(TriggerConfig, exc, doc.data)
        ]
        raise FloeValidationError(issues, source) from None
    problems = list(_problems(config, sorted(known_jobs) if known_jobs is not None else None, environ))
    if problems:
        issues = [
            Issue(format_path(path), message, value, doc.line_of(path)) for path, message, value in problems
        ]
        raise FloeValidationError(sorted(issues, key=lambda i: i.line or 0), source)
    return config


def _problems(
    config: TriggerConfig, jobs: list[str] | None, env: Mapping[str, str]
) -> Iterable[tuple[YamlPath, str, object]]:
    for upstream, triggers in config.workflows.items():
        where: YamlPath = ("workflows", upstream)
        if jobs is not None and upstream not in jobs:
            yield where, f"unknown job {upstream!r}{_hint(upstream, jobs)}", upstream
        for kind in ("on_success", "on_approval"):
            targets: list[Target] = getattr(triggers, kind)
            for i, target in enumerate(targets):
                yield from _target_problems((*where, kind, i), target, jobs, env)


def _target_problems(
    where: YamlPath, target: Target, jobs: list[str] | None, env: Mapping[str, str]
) -> Iterable[tuple[YamlPath, str, object]]:
    if isinstance(target, SqsMwaaTarget) and target.queue_url is None and not env.get(QUEUE_ENV):
        yield where, f"sqs_mwaa needs queue_url, or {QUEUE_ENV} set in the environment", None
    if isinstance(target, DagsterJobTarget) and jobs is not None and target.job not in jobs:
        yield (*where, "job"), f"unknown job {target.job!r}{_hint(target.job, jobs)}", target.job
    mapping: dict[str, str] = getattr(target, "parameter_mapping", {}) or {}
    for name, path in mapping.items():
        problem = path_problem(path)
        if problem is not None:
            yield (*where, "parameter_mapping", name), f"can never resolve: {problem}", path
    if isinstance(target, DagsterJobTarget) and target.partition is not None:
        problem = path_problem(target.partition)
        if problem is not None:
            yield (*where, "partition"), f"can never resolve: {problem}", target.partition


def _hint(name: str, known: list[str]) -> str:
    match = closest(name, known)
    return f"; did you mean {match!r}?" if match else f"; jobs: {', '.join(known) or 'none'}"
