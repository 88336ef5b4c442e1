"""`load_spec`: floe.yaml -> FloeSpec (YAML with line numbers, `${VAR:default}` interpolation, validation).

Every problem found (interpolation, schema, cross-field references) is collected into one
FloeValidationError whose Issues carry the dotted path (`transforms[0].path`), the line, the offending
value and what was expected.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from floe_core.errors import FloeError, FloeValidationError, Issue
from floe_core.interpolation import InterpolatedDocument, interpolate
from floe_core.paths import YamlPath, format_path
from floe_core.spec import FloeSpec
from floe_core.spec_checks import check_references
from floe_core.validation_errors import PathIssue, translate
from floe_core.yaml_source import YamlDocument, load_yaml

# env vars whose values must never be echoed back in an error, even when floe.yaml misuses them
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|AUTH", re.IGNORECASE)
_TOP_LEVEL = "a mapping with at least name, version and compute"


def read_config(path: Path) -> str:
    """The text of floe.yaml; a missing or unreadable file is a FloeError saying so."""
    if not path.exists():
        raise FloeError(f"{path}: file not found (expected a floe.yaml)")
    if path.is_dir():
        raise FloeError(f"{path}: is a folder; expected the path of a floe.yaml file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FloeError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise FloeError(f"{path}: cannot be read ({exc.strerror})") from None


def _locate(issue: PathIssue, doc: YamlDocument, interpolated: InterpolatedDocument) -> Issue:
    message, value = issue.message, issue.value
    names = interpolated.variables.get(issue.path, ())
    if names and value is not None:
        message += f" (value from ${', $'.join(names)})"
        if any(_SECRET_NAME.search(n) for n in names):
            value = "***"
    return Issue(format_path(issue.path), message, value, doc.line_of(issue.path))


def _is_under(path: YamlPath, reported: set[YamlPath]) -> bool:
    return any(path[: len(p)] == p for p in reported)


def validate_document(doc: YamlDocument, env: Mapping[str, str], source: str) -> FloeSpec:
    """Interpolate and validate a parsed floe.yaml; raises FloeValidationError listing every problem."""
    if doc.data is None:
        raise FloeValidationError([Issue("", f"the file is empty; expected {_TOP_LEVEL}", line=1)], source)
    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else f"the value {doc.data!r}"
        raise FloeValidationError(
            [Issue("", f"expected {_TOP_LEVEL} at the top level, got {kind}", line=1)], source
        )
    interpolated = interpolate(doc, env)
    issues = [
        PathIssue(path, problem.message, interpolated.originals.get(path))
        for path, problems in interpolated.problems.items()
        for problem in problems
    ]
    data = interpolated.data
    assert isinstance(data, dict)
    cross = check_references(data)
    spec: FloeSpec | None = None
    try:
        spec = FloeSpec.model_validate(data)
    except ValidationError as exc:
        # a value left uninterpolated is already reported: don't add its type error on top; a cross-field
        # check says more precisely what a model validator of the enclosing mapping also found
        reported = set(interpolated.problems)
        superseded = {c.path for c in cross}
        parents = {c.path[:-1] for c in cross}
        issues += [
            i
            for i in translate(FloeSpec, exc, data)
            if not _is_under(i.path, reported)
            and i.path not in superseded
            and not (i.whole_model and i.path in parents)
        ]
    issues += cross
    if issues or spec is None:
        located = [_locate(i, doc, interpolated) for i in issues]
        located.sort(key=lambda i: (i.line is None, i.line or 0))
        raise FloeValidationError(located, source)
    return spec


def parse_spec(text: str, source: str = "floe.yaml", env: Mapping[str, str] | None = None) -> FloeSpec:
    """`load_spec` for floe.yaml text already in memory (`source` names it in messages)."""
    return validate_document(load_yaml(text, source), os.environ if env is None else env, source)


def load_spec(path: str | Path, env: Mapping[str, str] | None = None) -> FloeSpec:
    """Load, interpolate (with `env`, default os.environ) and validate the floe.yaml at `path`."""
    p = Path(path)
    return parse_spec(read_config(p), str(p), env)
