"""Loading workflow specs: the Git layout of floe.yaml's `workflows.path` (floe_core.workflows.layout), inline
documents in floe.yaml, or one text (e.g. registered through an API) — then validating them all together.

Workflow files hold no `${VAR}` interpolation: a spec is the versioned artifact, its sha256 identifies exactly
what runs (environments differ by floe.yaml's `workflows.runtime`). Inline workflows are part of floe.yaml,
which is interpolated as a whole. Every problem in every file is collected and raised at once as a
WorkflowValidationError.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError

from floe_core.errors import FloeError
from floe_core.paths import YamlPath
from floe_core.spec.base import FloeModel
from floe_core.spec.executor import ExecutorConfig
from floe_core.validation_errors import translate
from floe_core.workflows.checks import check_workflow, run_kind
from floe_core.workflows.config import RuntimeConfig, WorkflowsConfig
from floe_core.workflows.graph import find_cycle
from floe_core.workflows.layout import Candidate, SourceFile, folder_candidates
from floe_core.workflows.notifications import NotificationSettings
from floe_core.workflows.source import (
    LocatedIssue,
    Locator,
    Origin,
    WorkflowValidationError,
    parse_text,
)
from floe_core.workflows.workflow import WorkflowDocument, WorkflowSpec, job_entry_kind
from floe_core.yaml_source import YamlDocument, YamlValue, load_yaml

if TYPE_CHECKING:
    from floe_core.spec import FloeSpec  # floe_core.spec imports this package's config: no cycle at run time

_TOP = "expected `workflow:` at the top level (the contract's form: `workflow: {name: ..., jobs: [...]}`)"


class LoadedWorkflow(FloeModel):
    spec: WorkflowSpec
    origin: Literal["folder", "inline", "text", "manual"]
    sources: list[SourceFile] = Field(description="workflow file first, then its job files")

    @property
    def name(self) -> str:
        return self.spec.name


class WorkflowSet(FloeModel):
    """Every workflow of a project, validated, with the runtime and notification settings of floe.yaml."""

    root: str = Field(description="absolute folder of floe.yaml: relative paths in specs start here")
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    workflows: list[LoadedWorkflow] = Field(default_factory=list, description="sorted by name")

    def names(self) -> list[str]:
        return [w.name for w in self.workflows]

    def get(self, name: str) -> LoadedWorkflow:
        for workflow in self.workflows:
            if workflow.name == name:
                return workflow
        close = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        known = ", ".join(self.names()) or "none (see workflows.path and workflows.inline in floe.yaml)"
        raise FloeError(f"unknown workflow '{name}'{hint}; workflows: {known}")


def _validate(candidate: Candidate, runtime: RuntimeConfig | None) -> None:
    data = candidate.document
    if not isinstance(data, dict) or not isinstance(data.get("workflow"), dict):
        got = (
            "an empty file"
            if data is None
            else ("a mapping without it" if isinstance(data, dict) else "something else")
        )
        candidate.issues.append(candidate.locator.issue((), f"{_TOP}, got {got}"))
        return
    schema: list[LocatedIssue] = []
    try:
        candidate.spec = WorkflowDocument.model_validate(data).workflow
    except ValidationError as exc:
        for problem in translate(WorkflowDocument, exc, data):
            schema.append(candidate.locator.issue(problem.path, problem.message, problem.value))
    reported = {(i.file, i.issue.path) for i in schema}
    semantic = [
        i
        for i in check_workflow(data, candidate.locator, runtime=runtime)
        if (i.file, i.issue.path) not in reported
    ]
    candidate.issues += schema + semantic
    if candidate.issues:
        candidate.spec = None


def _no_references(candidate: Candidate, where: str) -> None:
    entries = candidate.workflow.get("jobs")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        job = entry.get("job") if isinstance(entry, dict) else None
        if isinstance(job, dict) and job_entry_kind(job) == "job_ref":
            candidate.issues.append(
                candidate.locator.issue(
                    ("workflow", "jobs", i, "job"),
                    f"jobs of a workflow {where} must be written inline (name, image, ...):"
                    " job files ({ref: ...} or a bare {name: ...}) need the folder layout of workflows.path",
                )
            )


def _inline_candidates(
    config: WorkflowsConfig, floe_doc: YamlDocument | None, display: str, sources: list[SourceFile]
) -> list[Candidate]:
    out: list[Candidate] = []
    for k, document in enumerate(config.inline):
        data = document.model_dump(mode="json", by_alias=True, exclude_unset=True)
        locator = Locator(Origin(display, floe_doc, ("workflows", "inline", k)))
        candidate = Candidate(data, locator, "inline", list(sources))
        _no_references(candidate, "in floe.yaml")
        out.append(candidate)
    return out


def _upstream_names(workflow: Mapping[str, YamlValue]) -> list[tuple[int, str]]:
    dependencies = workflow.get("dependencies")
    names: list[tuple[int, str]] = []
    for j, dependency in enumerate(dependencies if isinstance(dependencies, list) else []):
        upstream = dependency.get("workflow") if isinstance(dependency, dict) else None
        if isinstance(upstream, str):
            names.append((j, upstream))
    return names


def _dependency_issues(candidates: list[Candidate], others: Mapping[str, Candidate]) -> list[LocatedIssue]:
    """Unknown upstream workflows, dependencies between unscheduled workflows, cycles between workflows.

    `candidates` are checked; `others` are workflows they may depend on (already valid, e.g. registered).
    """
    by_name = dict(others)
    by_name.update({c.name: c for c in candidates if c.name is not None})
    edges = {name: [u for _, u in _upstream_names(c.workflow)] for name, c in by_name.items()}
    issues: list[LocatedIssue] = []
    for candidate in candidates:
        for j, upstream in _upstream_names(candidate.workflow):
            at: YamlPath = ("workflow", "dependencies", j, "workflow")
            if upstream == candidate.name:
                continue  # reported by the workflow's own checks
            if upstream not in by_name:
                close = difflib.get_close_matches(upstream, list(by_name), n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                known = ", ".join(sorted(by_name)) or "none"
                issues.append(
                    candidate.locator.issue(at, f"unknown workflow '{upstream}'{hint}; workflows: {known}")
                )
                continue
            unscheduled = [
                f"'{c.name}'" for c in (candidate, by_name[upstream]) if run_kind(c.workflow) != "window"
            ]
            if unscheduled:
                issues.append(
                    candidate.locator.issue(
                        at,
                        "a dependency links the windows of two scheduled workflows, but "
                        + " and ".join(unscheduled)
                        + " has no cron or interval schedule",
                    )
                )
    cycle = find_cycle({n: [u for u in ups if u != n] for n, ups in edges.items()})
    first = next((c for c in candidates if cycle and c.name in cycle), None)
    if cycle and first is not None:
        issues.append(
            first.locator.issue(
                ("workflow", "dependencies"),
                "dependencies between workflows form a cycle: " + " -> ".join(cycle),
            )
        )
    return issues


def _duplicate_issues(candidates: list[Candidate]) -> list[LocatedIssue]:
    seen: dict[str, Candidate] = {}
    issues: list[LocatedIssue] = []
    for candidate in candidates:
        name = candidate.name
        if name is None:
            continue
        if name in seen:
            first = seen[name].locator.line(("workflow", "name"))
            issues.append(
                candidate.locator.issue(
                    ("workflow", "name"), f"workflow '{name}' is defined twice (first at {first})"
                )
            )
        else:
            seen[name] = candidate
    return issues


def _floe_document(config_path: Path) -> tuple[YamlDocument | None, str | None]:
    try:
        raw = config_path.read_bytes()
        return load_yaml(raw.decode("utf-8"), str(config_path)), hashlib.sha256(raw).hexdigest()
    except Exception:  # floe.yaml was loaded already; lines are only a convenience here
        return None, None


def load_workflows(spec: FloeSpec, config_path: str | Path) -> WorkflowSet:
    """Every workflow of the project whose floe.yaml (already loaded as `spec`) is at `config_path`.

    Raises WorkflowValidationError listing every problem in every file.
    """
    config_path = Path(config_path)
    config: WorkflowsConfig = spec.workflows
    root = config_path.resolve().parent
    root_display = config_path.parent
    floe_doc, floe_digest = _floe_document(config_path)
    floe_display = str(config_path)
    floe_locator = Locator(Origin(floe_display, floe_doc))
    floe_sources = [SourceFile(path=config_path.name, sha256=floe_digest)] if floe_digest else []
    candidates, problems = folder_candidates(config, root, root_display, floe_locator)
    candidates += _inline_candidates(config, floe_doc, floe_display, floe_sources)
    for candidate in candidates:
        _validate(candidate, config.runtime)
    problems += _duplicate_issues(candidates) + _dependency_issues(candidates, {})
    problems += [issue for c in candidates for issue in c.issues]
    if problems:
        raise WorkflowValidationError(problems)
    loaded = [
        LoadedWorkflow(spec=c.spec, origin=c.origin, sources=c.sources)
        for c in candidates
        if c.spec is not None
    ]
    return WorkflowSet(
        root=str(root),
        runtime=config.runtime,
        executor=config.executor,
        notifications=config.notifications,
        workflows=sorted(loaded, key=lambda w: w.name),
    )


def load_workflow_text(
    text: str,
    source: str = "<workflow>",
    *,
    runtime: RuntimeConfig | None = None,
    existing: WorkflowSet | None = None,
) -> WorkflowSpec:
    """One workflow document given as YAML or JSON text (e.g. registered through an API); jobs inline.

    `runtime` adds the checks of the runtime that will run it; `existing` checks its `dependencies` against
    those workflows (unknown names, cycles). Raises WorkflowValidationError like `load_workflows`.
    """
    document = parse_text(text, source, is_json=source.endswith(".json"))
    candidate = Candidate(document.data, Locator(Origin(source, document)), "text")
    _no_references(candidate, "given as text")
    _validate(candidate, runtime)
    problems = list(candidate.issues)
    if existing is not None:
        # the workflows it may depend on; without them, unknown names and cycles cannot be known
        others = {
            w.name: Candidate(_as_document(w.spec), Locator(Origin(w.name)), w.origin)
            for w in existing.workflows
            if w.name != candidate.name
        }
        problems += _dependency_issues([candidate], others)
    if problems or candidate.spec is None:
        raise WorkflowValidationError(problems)
    return candidate.spec


def _as_document(spec: WorkflowSpec) -> YamlValue:
    data: YamlValue = {"workflow": spec.model_dump(mode="json", by_alias=True, exclude_unset=True)}
    return data


def text_sha256(text: str) -> str:
    """The version hash of a workflow given as text (what SourceFile.sha256 holds for files)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
