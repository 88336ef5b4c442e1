"""`load_spec`: floe.yaml -> FloeSpec (YAML with line numbers, `${VAR:default}` interpolation, validation).

Every problem found (interpolation, schema, cross-field references) is collected into one
FloeValidationError whose Issues carry the dotted path (`transforms[0].path`), the line, the offending
value and what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from floe_core.errors import FloeError, FloeValidationError, Issue
from floe_core.interpolation import InterpolatedDocument, interpolate
from floe_core.limits import MAX_DOCUMENT_BYTES
from floe_core.paths import YamlPath, format_path
from floe_core.project_paths import check_project_paths
from floe_core.reference_syntax import NAME
from floe_core.secrets import MASK, Hidden, may_hold_secret, scrub
from floe_core.spec import FloeSpec
from floe_core.spec.orchestration.references import REFERENCE_ERROR
from floe_core.spec_checks import check_references
from floe_core.validation_errors import PathIssue, translate
from floe_core.yaml_source import YamlDocument, YamlValue, load_yaml, too_large_message

_TOP_LEVEL = "a mapping with at least name, version and compute"


def read_config(path: Path) -> str:
    """The text of floe.yaml; a missing, unreadable or too large file is a FloeError saying so.

    At most MAX_DOCUMENT_BYTES (+1, to know it is more) are read: a huge file is refused unread."""
    if not path.exists():
        raise FloeError(f"{path}: file not found (expected a floe.yaml)")
    if path.is_dir():
        raise FloeError(f"{path}: is a folder; expected the path of a floe.yaml file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise FloeError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        shown = size if size > MAX_DOCUMENT_BYTES else None  # a pipe or device has no size
        raise FloeValidationError([Issue("", too_large_message(shown))], str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FloeError(
            f"{path}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8"
        ) from None


class _Masking:
    """What no Issue may show: values of secret-looking variables, and the values of `*_env` fields.

    A `*_env` field holds the NAME of a variable; anything else there is most likely the secret itself,
    pasted by mistake: its value is shown only as its shape. A value that came from a variable whose name
    looks secret (floe_core.secrets.may_hold_secret) is masked wherever it appears: the offending value, and
    the message text too (a message may quote the value, or a parent's message a child's)."""

    def __init__(self, interpolated: InterpolatedDocument, env: Mapping[str, str]) -> None:
        self.interpolated = interpolated
        self.secret_paths = {
            path for path, names in interpolated.variables.items() if any(may_hold_secret(n) for n in names)
        }
        secrets = {
            env.get(n, "") for names in interpolated.variables.values() for n in names if may_hold_secret(n)
        }
        secrets |= {v for v in _env_field_values(interpolated.data) if not NAME.fullmatch(v)}
        self.secrets = frozenset(secrets - {""})

    def locate(self, issue: PathIssue, doc: YamlDocument) -> Issue:
        message, value = issue.message, issue.value
        names = self.interpolated.variables.get(issue.path, ())
        if names and value is not None:
            message += f" (value from ${', $'.join(names)})"
        if _is_env_field(issue.path):
            if names and value is not None:
                message += (
                    f"; write the variable's name itself ({issue.path[-1]}: {names[0]}), not a ${{...}}"
                )
            value = None if value is None else Hidden(value)
        elif issue.path in self.secret_paths and value is not None:
            value = MASK
        elif isinstance(value, str):
            value = scrub(value, self.secrets)
        elif value is not None and scrub(repr(value), self.secrets) != repr(value):
            value = MASK
        return Issue(format_path(issue.path), scrub(message, self.secrets), value, doc.line_of(issue.path))


def _is_env_field(path: YamlPath) -> bool:
    return bool(path) and isinstance(path[-1], str) and path[-1].endswith("_env")


def _env_field_values(value: YamlValue, key: str | int = "") -> Iterator[str]:
    """String values of every `*_env` key in the document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _env_field_values(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _env_field_values(item)
    elif isinstance(value, str) and isinstance(key, str) and key.endswith("_env"):
        yield value


def _is_under(path: YamlPath, reported: set[YamlPath]) -> bool:
    return any(path[: len(p)] == p for p in reported)


def validate_document(
    doc: YamlDocument, env: Mapping[str, str], source: str, root: Path | None = None
) -> FloeSpec:
    """Interpolate and validate a parsed floe.yaml; raises FloeValidationError listing every problem.

    `root` is the folder of floe.yaml: with it, the files floe.yaml names are checked too
    (floe_core.project_paths); without it (text from elsewhere) they are not."""
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
    # a value left uninterpolated is already reported: no other check adds its own complaint about it
    reported = set(interpolated.problems)
    cross = [c for c in check_references(data) if not _is_under(c.path, reported)]
    if root is not None:
        cross += [c for c in check_project_paths(data, root) if not _is_under(c.path, reported)]
    spec: FloeSpec | None = None
    try:
        spec = FloeSpec.model_validate(data)
    except ValidationError as exc:
        # a cross-field check says more precisely what a model validator of the enclosing mapping also
        # found; the orchestration model's own reference check (REFERENCE_ERROR) ran above on the raw data
        superseded = {c.path for c in cross}
        parents = {c.path[:-1] for c in cross}
        issues += [
            i
            for i in translate(FloeSpec, exc, data, skip=frozenset({REFERENCE_ERROR}))
            if not _is_under(i.path, reported)
            and i.path not in superseded
            and not (i.whole_model and i.path in parents)
        ]
    issues += cross
    if issues or spec is None:
        masking = _Masking(interpolated, env)
        located = [masking.locate(i, doc) for i in issues]
        located.sort(key=lambda i: (i.line is None, i.line or 0))
        raise FloeValidationError(located, source)
    return spec


def parse_spec(
    text: str, source: str = "floe.yaml", env: Mapping[str, str] | None = None, root: Path | None = None
) -> FloeSpec:
    """`load_spec` for floe.yaml text already in memory (`source` names it in messages). Files it names
    (dbt project, asset module paths) are checked only when `root`, the folder they are relative to, is
    given."""
    chosen = os.environ if env is None else env
    return validate_document(load_yaml(text, source), chosen, source, root)


@dataclass(frozen=True)
class LoadedSpec:
    """floe.yaml as validated (`spec`, every value substituted) and as floe may write it to disk
    (`stored`: references to secret-looking variables kept as `${NAME}`; floe_core.interpolation)."""

    spec: FloeSpec
    stored: FloeSpec

    @property
    def defers_secrets(self) -> bool:
        return self.stored is not self.spec


def stored_copy(doc: YamlDocument, env: Mapping[str, str], source: str, spec: FloeSpec) -> FloeSpec:
    """The validated `spec` with secret-looking references kept (the copy compiled_artifacts.json holds).

    A field that cannot hold a reference (a number, an enumerated value) and takes its value from a
    secret-looking variable is an error naming it: floe would otherwise have to write the value in clear."""
    deferred = interpolate(doc, env, defer=may_hold_secret)
    if not deferred.deferred:
        return spec
    try:
        return FloeSpec.model_validate(deferred.data)
    except ValidationError as exc:
        issues = []
        for issue in translate(FloeSpec, exc, deferred.data):
            names = next((n for p, n in deferred.deferred.items() if issue.path[: len(p)] == p), ())
            shown = ", ".join(f"${n}" for n in names) or "a secret-looking variable"
            issues.append(
                Issue(
                    format_path(issue.path),
                    f"takes its value from {shown}, which floe keeps out of compiled_artifacts.json"
                    " (secret-looking name), but this field needs the value itself at compile time; use a"
                    " variable whose name does not look secret, or the field's *_env form if it has one",
                    None,
                    doc.line_of(issue.path),
                )
            )
        raise FloeValidationError(issues, source) from None


def load_spec_to_store(path: str | Path, env: Mapping[str, str] | None = None) -> LoadedSpec:
    """`load_spec`, plus the copy of the spec that may be written to disk (`LoadedSpec.stored`)."""
    p = Path(path)
    chosen = os.environ if env is None else env
    doc = load_yaml(read_config(p), str(p))
    spec = validate_document(doc, chosen, str(p), root=p.parent)
    return LoadedSpec(spec, stored_copy(doc, chosen, str(p), spec))


def load_spec(path: str | Path, env: Mapping[str, str] | None = None) -> FloeSpec:
    """Load, interpolate (with `env`, default os.environ) and validate the floe.yaml at `path`, and check
    the files it names relative to its folder."""
    p = Path(path)
    return parse_spec(read_config(p), str(p), env, root=p.parent)
