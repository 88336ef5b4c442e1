"""Loading workflow specs: the Git layout of contract §12.2, inline documents in floe.yaml, or one text.

    <workflows.path>/<workflow name>/workflow.yaml      (or .yml / .json; the folder name is the workflow's)
    <workflows.path>/<workflow name>/jobs/<job>.yaml    (job documents, `job: {...}`)

A job entry is inline (`- job: {name: x, image: ...}`), a reference (`- job: {ref: jobs/x.yaml}`), or only a
name (`- job: {name: x}`), which loads jobs/x.yaml (then .yml, .json). A job file must be used by its
workflow, its file name is its job's name, and a job is written in one place only. Workflow files hold no
`${VAR}` interpolation: a spec is the versioned artifact, its sha256 identifies exactly what runs
(environments differ by floe.yaml's `workflows.runtime`). Inline workflows are part of floe.yaml, which is
interpolated as a whole.

Every problem in every file is collected and raised at once as a WorkflowValidationError.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError

from floe_core.errors import FloeError, Issue
from floe_core.paths import YamlPath
from floe_core.spec.base import FloeModel
from floe_core.validation_errors import translate
from floe_core.workflows.checks import check_workflow, run_kind
from floe_core.workflows.config import RuntimeConfig, WorkflowsConfig
from floe_core.workflows.graph import find_cycle
from floe_core.workflows.notifications import NotificationSettings
from floe_core.workflows.source import (
    SUFFIXES,
    LocatedIssue,
    Locator,
    Origin,
    WorkflowValidationError,
    parse_text,
    read_file,
)
from floe_core.workflows.workflow import WorkflowDocument, WorkflowSpec, job_entry_kind
from floe_core.yaml_source import YamlDocument, YamlValue, load_yaml

if TYPE_CHECKING:
    from floe_core.spec import FloeSpec  # floe_core.spec imports this package's config: no cycle at run time

WORKFLOW_FILE = "workflow"
JOBS_FOLDER = "jobs"
_TOP = "expected `workflow:` at the top level (the contract's form: `workflow: {name: ..., jobs: [...]}`)"


class SourceFile(FloeModel):
    """A file a workflow was read from: path relative to floe.yaml's folder (posix), and its sha256."""

    path: str
    sha256: str


class LoadedWorkflow(FloeModel):
    spec: WorkflowSpec
    origin: Literal["folder", "inline", "text"]
    sources: list[SourceFile] = Field(description="workflow file first, then its job files")

    @property
    def name(self) -> str:
        return self.spec.name


class WorkflowSet(FloeModel):
    """Every workflow of a project, validated, with the runtime and notification settings of floe.yaml."""

    root: str = Field(description="absolute folder of floe.yaml: relative paths in specs start here")
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
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


@dataclass
class _Candidate:
    """One workflow document, its job references replaced by the job files' contents."""

    document: YamlValue
    locator: Locator
    origin: Literal["folder", "inline", "text"]
    sources: list[SourceFile] = field(default_factory=list)
    issues: list[LocatedIssue] = field(default_factory=list)
    spec: WorkflowSpec | None = None

    @property
    def workflow(self) -> dict[str, YamlValue]:
        data = self.document
        inner = data.get("workflow") if isinstance(data, dict) else None
        return inner if isinstance(inner, dict) else {}

    @property
    def name(self) -> str | None:
        name = self.workflow.get("name")
        return name if isinstance(name, str) else None


def _validate(candidate: _Candidate, runtime: RuntimeConfig | None) -> None:
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


def _no_references(candidate: _Candidate, where: str) -> None:
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


def _display(root_display: Path, path: Path, root: Path) -> str:
    try:
        return str(root_display / path.relative_to(root))
    except ValueError:
        return str(path)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


class _Folder:
    """Reads one workflow folder: workflow file, job files, references."""

    def __init__(self, folder: Path, root: Path, root_display: Path) -> None:
        self.folder, self.root, self.root_display = folder, root, root_display
        self.problems: list[LocatedIssue] = []

    def show(self, path: Path) -> str:
        return _display(self.root_display, path, self.root)

    def load(self) -> _Candidate | None:
        files = [
            self.folder / f"{WORKFLOW_FILE}{s}"
            for s in SUFFIXES
            if (self.folder / f"{WORKFLOW_FILE}{s}").is_file()
        ]
        if len(files) != 1:
            message = (
                "no workflow.yaml (or workflow.yml, workflow.json) in this workflow folder"
                if not files
                else f"several workflow files ({', '.join(f.name for f in files)}): keep one"
            )
            self.problems.append(LocatedIssue(self.show(self.folder), Issue("", message)))
            return None
        path = files[0]
        try:
            doc, digest = read_file(path, self.show(path))
        except WorkflowValidationError as exc:
            self.problems += exc.problems
            return None
        locator = Locator(Origin(self.show(path), doc))
        candidate = _Candidate(
            doc.data, locator, "folder", [SourceFile(path=_relative(path, self.root), sha256=digest)]
        )
        workflow = candidate.workflow
        if workflow and candidate.name is not None and candidate.name != self.folder.name:
            candidate.issues.append(
                locator.issue(
                    ("workflow", "name"),
                    f"the workflow is named '{candidate.name}' but its folder is '{self.folder.name}':"
                    " they must be equal",
                )
            )
        if workflow:
            self._resolve_jobs(candidate, workflow)
        return candidate

    def _job_file(self, job: dict[str, YamlValue], at: YamlPath, candidate: _Candidate) -> Path | None:
        ref = job.get("ref")
        if ref is None:
            name = job.get("name")
            found = [self.folder / JOBS_FOLDER / f"{name}{s}" for s in SUFFIXES]
            existing = [p for p in found if p.is_file()]
            if not existing:
                candidate.issues.append(
                    candidate.locator.issue(
                        at,
                        f"job '{name}' gives only its name and {JOBS_FOLDER}/{name}.yaml (or .yml, .json) does"
                        f" not exist in {self.show(self.folder)}: add the file or write the job inline",
                    )
                )
                return None
            return existing[0]
        if not isinstance(ref, str):
            return None  # the schema reports it
        target = (self.folder / ref).resolve()
        ref_at = (*at, "ref")
        if Path(ref).is_absolute() or not target.is_relative_to(self.folder.resolve()):
            candidate.issues.append(
                candidate.locator.issue(ref_at, "a job file must be inside the workflow's folder", ref)
            )
            return None
        if target.suffix not in SUFFIXES:
            candidate.issues.append(
                candidate.locator.issue(ref_at, "a job file ends in .yaml, .yml or .json", ref)
            )
            return None
        if not target.is_file():
            candidate.issues.append(
                candidate.locator.issue(ref_at, f"no such job file in {self.show(self.folder)}", ref)
            )
            return None
        return self.folder / ref

    def _resolve_jobs(self, candidate: _Candidate, workflow: dict[str, YamlValue]) -> None:
        entries = workflow.get("jobs")
        if not isinstance(entries, list):
            return
        used: dict[Path, YamlPath] = {}
        resolved: list[YamlValue] = []
        overrides: list[tuple[YamlPath, Origin]] = []
        inline_names: dict[str, int] = {}
        for i, entry in enumerate(entries):
            job = entry.get("job") if isinstance(entry, dict) else None
            at: YamlPath = ("workflow", "jobs", i, "job")
            if not isinstance(entry, dict) or not isinstance(job, dict) or job_entry_kind(job) != "job_ref":
                if isinstance(job, dict) and isinstance(job.get("name"), str):
                    inline_names[str(job["name"])] = i
                resolved.append(entry)
                continue
            path = self._job_file(job, at, candidate)
            if path is None:
                resolved.append(entry)
                continue
            key = path.resolve()
            if key in used:
                candidate.issues.append(
                    candidate.locator.issue(
                        at, f"{self.show(path)} is already used by {candidate.locator.line(used[key])}"
                    )
                )
            used[key] = at
            content = self._read_job(path, job, candidate, at)
            if content is None:
                resolved.append(entry)
                continue
            document, job_data = content
            overrides.append((at, Origin(self.show(path), document, ("job",))))
            resolved.append({**entry, "job": job_data})
        for name, i in inline_names.items():
            for suffix in SUFFIXES:
                twin = self.folder / JOBS_FOLDER / f"{name}{suffix}"
                if twin.is_file():
                    used.setdefault(twin.resolve(), ("workflow", "jobs", i, "job"))
                    candidate.issues.append(
                        candidate.locator.issue(
                            ("workflow", "jobs", i, "job", "name"),
                            f"job '{name}' is written inline and in {self.show(twin)}: keep one"
                            f" (`- job: {{name: {name}}}` uses the file)",
                        )
                    )
        self._unused_files(candidate, set(used))
        candidate.document = {
            **(candidate.document if isinstance(candidate.document, dict) else {}),
            "workflow": {**workflow, "jobs": resolved},
        }
        candidate.locator = Locator(candidate.locator.default, tuple(overrides))

    def _read_job(
        self, path: Path, job: dict[str, YamlValue], candidate: _Candidate, at: YamlPath
    ) -> tuple[YamlDocument, dict[str, YamlValue]] | None:
        try:
            document, digest = read_file(path, self.show(path))
        except WorkflowValidationError as exc:
            candidate.issues += exc.problems
            return None
        candidate.sources.append(SourceFile(path=_relative(path, self.root), sha256=digest))
        data = document.data
        job_data = data.get("job") if isinstance(data, dict) else None
        origin = Locator(Origin(self.show(path), document))
        if not isinstance(job_data, dict):
            candidate.issues.append(
                origin.issue(
                    (),
                    "expected `job:` at the top level (the contract's form: `job: {name: ..., image: ...}`)",
                )
            )
            return None
        name = job_data.get("name")
        stem = path.stem
        if isinstance(name, str) and name != stem:
            candidate.issues.append(
                origin.issue(
                    ("job", "name"),
                    f"the job is named '{name}' but its file is {path.name}: they must be equal",
                )
            )
        if job.get("ref") is None and isinstance(name, str) and name != job.get("name"):
            candidate.issues.append(
                candidate.locator.issue((*at, "name"), f"{self.show(path)} defines job '{name}'")
            )
        return document, job_data

    def _unused_files(self, candidate: _Candidate, used: set[Path]) -> None:
        jobs = self.folder / JOBS_FOLDER
        if not jobs.is_dir():
            return
        for path in sorted(jobs.iterdir()):
            if path.suffix in SUFFIXES and path.resolve() not in used:
                candidate.issues.append(
                    LocatedIssue(
                        self.show(path),
                        Issue(
                            "",
                            f"not used by workflow '{self.folder.name}': reference it"
                            f" (`- job: {{ref: {JOBS_FOLDER}/{path.name}}}`) or remove it",
                        ),
                    )
                )


def _folder_candidates(
    config: WorkflowsConfig, root: Path, root_display: Path, floe_locator: Locator
) -> tuple[list[_Candidate], list[LocatedIssue]]:
    if config.path is None:
        return [], []
    folder = root / config.path
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        return [], [floe_locator.issue(("workflows", "path"), f"{what} (relative to floe.yaml)", config.path)]
    candidates: list[_Candidate] = []
    problems: list[LocatedIssue] = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith((".", "_")):
            continue
        if child.is_file():
            if child.suffix in SUFFIXES:
                problems.append(
                    LocatedIssue(
                        _display(root_display, child, root),
                        Issue(
                            "",
                            f"workflows live in {config.path}/<name>/workflow.yaml: move this file to"
                            f" {config.path}/{child.stem}/workflow{child.suffix}",
                        ),
                    )
                )
            continue
        reader = _Folder(child, root, root_display)
        candidate = reader.load()
        problems += reader.problems
        if candidate is not None:
            candidates.append(candidate)
    return candidates, problems


def _inline_candidates(
    config: WorkflowsConfig, floe_doc: YamlDocument | None, display: str, sources: list[SourceFile]
) -> list[_Candidate]:
    out: list[_Candidate] = []
    for k, document in enumerate(config.inline):
        data = document.model_dump(mode="json", by_alias=True, exclude_unset=True)
        locator = Locator(Origin(display, floe_doc, ("workflows", "inline", k)))
        candidate = _Candidate(data, locator, "inline", list(sources))
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


def _dependency_issues(candidates: list[_Candidate], others: Mapping[str, _Candidate]) -> list[LocatedIssue]:
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


def _duplicate_issues(candidates: list[_Candidate]) -> list[LocatedIssue]:
    seen: dict[str, _Candidate] = {}
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
    candidates, problems = _folder_candidates(config, root, root_display, floe_locator)
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
    candidate = _Candidate(document.data, Locator(Origin(source, document)), "text")
    _no_references(candidate, "given as text")
    _validate(candidate, runtime)
    problems = list(candidate.issues)
    if existing is not None:
        # the workflows it may depend on; without them, unknown names and cycles cannot be known
        others = {
            w.name: _Candidate(_as_document(w.spec), Locator(Origin(w.name)), w.origin)
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
