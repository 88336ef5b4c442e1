"""The Git layout of contract §12.2: one folder per workflow, its job files, and job references.

    <workflows.path>/<workflow name>/workflow.yaml      (or .yml / .json; the folder name is the workflow's)
    <workflows.path>/<workflow name>/jobs/<job>.yaml    (job documents, `job: {...}`)

A job entry is inline (`- job: {name: x, image: ...}`), a reference (`- job: {ref: jobs/x.yaml}`), or only a
name (`- job: {name: x}`), which loads jobs/x.yaml (then .yml, .json). A job file must be used by its
workflow, its file name is its job's name, and a job is written in one place only.

Reading a folder gives a Candidate: the workflow document with every reference replaced by the job file's
contents, and a Locator that sends problems in those jobs back to their own files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from floe_core.errors import Issue
from floe_core.paths import YamlPath
from floe_core.spec.base import FloeModel
from floe_core.workflows.config import WorkflowsConfig
from floe_core.workflows.source import (
    SUFFIXES,
    LocatedIssue,
    Locator,
    Origin,
    WorkflowValidationError,
    read_file,
)
from floe_core.workflows.workflow import WorkflowSpec, job_entry_kind
from floe_core.yaml_source import YamlDocument, YamlValue

WORKFLOW_FILE = "workflow"
JOBS_FOLDER = "jobs"


class SourceFile(FloeModel):
    """A file a workflow was read from: path relative to floe.yaml's folder (posix), and its sha256."""

    path: str
    sha256: str


@dataclass
class Candidate:
    """One workflow document, its job references replaced by the job files' contents."""

    document: YamlValue
    locator: Locator
    origin: Literal["folder", "inline", "text", "manual"]
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

    def load(self) -> Candidate | None:
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
        candidate = Candidate(
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

    def _job_file(self, job: dict[str, YamlValue], at: YamlPath, candidate: Candidate) -> Path | None:
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
        extra = sorted(set(job) - {"ref"})
        if extra:
            candidate.issues.append(
                candidate.locator.issue(
                    at, f"a job reference holds only `ref`: {', '.join(extra)} belong(s) in the job file", ref
                )
            )
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

    def _resolve_jobs(self, candidate: Candidate, workflow: dict[str, YamlValue]) -> None:
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
        self, path: Path, job: dict[str, YamlValue], candidate: Candidate, at: YamlPath
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

    def _unused_files(self, candidate: Candidate, used: set[Path]) -> None:
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


def folder_candidates(
    config: WorkflowsConfig, root: Path, root_display: Path, floe_locator: Locator
) -> tuple[list[Candidate], list[LocatedIssue]]:
    if config.path is None:
        return [], []
    folder = root / config.path
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        return [], [floe_locator.issue(("workflows", "path"), f"{what} (relative to floe.yaml)", config.path)]
    candidates: list[Candidate] = []
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
