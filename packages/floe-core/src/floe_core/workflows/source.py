"""Reading workflow and job files (YAML or JSON) with line numbers, and locating problems in them.

Parsed by floe_core.yaml_source, so the bounds of floe_core.limits (size, nesting, alias expansion,
control characters) hold for workflow files exactly as for floe.yaml.

Workflows span several files (floe.yaml, workflow.yaml, jobs/*.yaml), so every problem carries its own file:
`WorkflowValidationError` lists them all as `file:line: path: message (got value)`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from floe_core.errors import FloeValidationError, Issue
from floe_core.limits import MAX_DOCUMENT_BYTES
from floe_core.paths import YamlPath, format_path
from floe_core.secrets import may_hold_secret
from floe_core.yaml_source import YamlDocument, load_yaml, too_large_message

SUFFIXES = (".yaml", ".yml", ".json")
_QUOTE_HINT = " (a value holding {{ ... }} must be quoted: '{{ ds }}')"


@dataclass(frozen=True)
class LocatedIssue:
    """An Issue and the file it is in."""

    file: str
    issue: Issue

    def render(self) -> str:
        return self.issue.render(self.file)


class WorkflowValidationError(FloeValidationError):
    """Workflow specs are invalid: every problem, each with its file (a FloeValidationError, so callers that
    handle floe.yaml errors handle these too; `.problems` keeps the files)."""

    def __init__(self, problems: list[LocatedIssue]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.issue.line or 0, p.issue.path))
        files = {p.file for p in self.problems}
        super().__init__([p.issue for p in self.problems], next(iter(files)) if len(files) == 1 else None)

    def render(self) -> str:
        count = len(self.problems)
        files = {p.file for p in self.problems}
        what = next(iter(files)) if len(files) == 1 else "workflows"
        head = f"{what} is invalid ({count} problem{'s' if count != 1 else ''}):"
        return "\n".join([head, *(p.render() for p in self.problems)])


def mask(path: YamlPath, value: object) -> object:
    """Never echo a value found under a secret-looking key."""
    if value is not None and any(isinstance(p, str) and may_hold_secret(p) for p in path):
        return "***"
    return value


@dataclass(frozen=True)
class Origin:
    """Where an object of a workflow document was written: a file, its lines, and the path of the object."""

    display: str
    doc: YamlDocument | None = None
    base: YamlPath = ()


@dataclass(frozen=True)
class Locator:
    """Maps a path in a (resolved) workflow document to the file and path where it was written.

    `overrides` send sub-trees elsewhere, e.g. ('workflow', 'jobs', 2, 'job') -> jobs/load.yaml at ('job',).
    """

    default: Origin
    overrides: tuple[tuple[YamlPath, Origin], ...] = ()

    def where(self, path: YamlPath) -> tuple[Origin, YamlPath]:
        for prefix, origin in self.overrides:
            if path[: len(prefix)] == prefix:
                return origin, (*origin.base, *path[len(prefix) :])
        return self.default, (*self.default.base, *path)

    def issue(self, path: YamlPath, message: str, value: object = None) -> LocatedIssue:
        origin, in_file = self.where(path)
        line = origin.doc.line_of(in_file) if origin.doc is not None else None
        return LocatedIssue(origin.display, Issue(format_path(in_file), message, mask(in_file, value), line))

    def line(self, path: YamlPath) -> str:
        """`file:line` of `path`, for messages naming another place."""
        origin, in_file = self.where(path)
        line = origin.doc.line_of(in_file) if origin.doc is not None else None
        return f"{origin.display}:{line}" if line else origin.display


def _hinted(issue: Issue, text: str) -> Issue:
    lines = text.splitlines()
    if issue.line and issue.line <= len(lines) and "{{" in lines[issue.line - 1]:
        return Issue(issue.path, issue.message + _QUOTE_HINT, issue.value, issue.line, issue.column)
    return issue


def parse_text(text: str, display: str, *, is_json: bool = False) -> YamlDocument:
    """One YAML (or JSON) document with the line of every value; problems raise WorkflowValidationError."""
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            issue = Issue("", f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno)
            raise WorkflowValidationError([LocatedIssue(display, issue)]) from None
        # valid JSON holds tabs only as whitespace, which YAML refuses: spaces keep every line in place
        try:
            return load_yaml(text.replace("\t", " "), display)
        except FloeValidationError as exc:
            if all("duplicate key" not in i.message for i in exc.issues):
                return YamlDocument(data=data)  # JSON that YAML reads differently: no lines, same values
            raise WorkflowValidationError([LocatedIssue(display, i) for i in exc.issues]) from None
    try:
        return load_yaml(text, display)
    except FloeValidationError as exc:
        raise WorkflowValidationError([LocatedIssue(display, _hinted(i, text)) for i in exc.issues]) from None


def read_file(path: Path, display: str) -> tuple[YamlDocument, str]:
    """Parse a workflow or job file; returns the document and the sha256 of its bytes."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WorkflowValidationError(
            [LocatedIssue(display, Issue("", f"cannot be read ({exc.strerror})"))]
        ) from None
    if len(raw) > MAX_DOCUMENT_BYTES:  # refused before it is decoded or parsed (floe_core.limits)
        raise WorkflowValidationError([LocatedIssue(display, Issue("", too_large_message(len(raw))))])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise WorkflowValidationError([LocatedIssue(display, Issue("", problem))]) from None
    document = parse_text(text, display, is_json=path.suffix == ".json")
    return document, hashlib.sha256(raw).hexdigest()
