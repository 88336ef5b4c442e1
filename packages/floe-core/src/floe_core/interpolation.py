"""`${VAR}` / `${VAR:default}` substitution in every string value of floe.yaml.

Rules (also in docs/floe-yaml.md):
  - `${VAR}` is replaced by the environment variable VAR; unset -> an Issue naming VAR and the path.
  - `${VAR:default}` uses `default` when VAR is unset *or empty*; `${VAR:}` defaults to "".
  - References may appear anywhere in a string, several times: `prefix_${A}_${B:x}`.
  - `$${...}` is an escape and yields the literal text `${...}`.
  - Typing: a *plain* (unquoted) value that is exactly one reference is typed like YAML would type the
    substituted text, so `threads: ${THREADS:4}` is the int 4 and `enabled: ${ON:false}` the bool false.
    Quoted values (`version: "${V:1.0}"`) and values with surrounding text always stay strings.
    An empty substitution stays "" (not null).
  - Only values are interpolated, never keys. Defaults cannot contain `}` or nested references.

Deferred references (`defer=`): the copy of floe.yaml that `floe compile` stores in compiled_artifacts.json
must not hold secrets, so references to variables whose name looks secret are kept as written
(`${ALERT_TOKEN}`) and resolved where the value is used — in the process that loads the artifacts
(`resolve_deferred`) or by dbt (`dbt_env_var_text` turns them into `{{ env_var(...) }}`). In that copy every
other `${` (from an escape or inside a substituted value) is written as the escape `$${`, so that resolving
it again gives exactly what the direct interpolation gave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from floe_core.paths import YamlPath
from floe_core.reference_syntax import TOKEN, parse_body, token_problem
from floe_core.yaml_source import YamlDocument, YamlValue, resolve_plain_scalar


@dataclass(frozen=True)
class TextProblem:
    """A reference that could not be substituted."""

    message: str


@dataclass(frozen=True)
class Substitution:
    """The result of interpolating one string."""

    text: str
    variables: tuple[str, ...] = ()  # env vars whose value was substituted (for masking in errors)
    problems: tuple[TextProblem, ...] = ()
    whole: bool = False  # the string was exactly one `${...}` reference
    deferred: tuple[str, ...] = ()  # variables kept as references (see `defer` in the module docstring)


def substitute(text: str, env: Mapping[str, str], defer: Callable[[str], bool] | None = None) -> Substitution:
    """Replace every reference in `text`; problems are returned, not raised, so all get reported.

    With `defer`, a reference whose variable it accepts stays as written and every other `${` in the
    result is escaped (module docstring)."""
    out: list[str] = []
    used: list[str] = []
    deferred: list[str] = []
    problems: list[TextProblem] = []
    pos = 0
    references = 0
    for match in TOKEN.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token == "$${":
            out.append("$${" if defer is not None else "${")
            continue
        malformed = token_problem(match)
        if malformed is not None:
            problems.append(TextProblem(malformed))
            out.append(token)
            continue
        references += 1
        reference = parse_body(match.group(1))
        name = reference.name
        value = env.get(name)
        if defer is not None and defer(name) and (value is not None or reference.has_default):
            deferred.append(name)
            out.append(token)
        elif value:
            used.append(name)
            out.append(_escaped(value) if defer is not None else value)
        elif reference.has_default:
            out.append(_escaped(reference.default) if defer is not None else reference.default)
        elif value is not None:
            used.append(name)  # set but empty, no default: the empty string
        else:
            problems.append(
                TextProblem(
                    f"environment variable {name} is not set and has no default;"
                    f" set it or write ${{{name}:default}}"
                )
            )
            out.append(token)
    out.append(text[pos:])
    whole = references == 1 and TOKEN.fullmatch(text) is not None and not text.startswith("$${")
    return Substitution("".join(out), tuple(used), tuple(problems), whole, tuple(deferred))


def _escaped(value: str) -> str:
    return value.replace("${", "$${")


@dataclass(frozen=True)
class InterpolatedDocument:
    """Interpolated values plus where substitution failed and which env vars fed which path."""

    data: YamlValue
    problems: dict[YamlPath, tuple[TextProblem, ...]] = field(default_factory=dict)
    originals: dict[YamlPath, str] = field(default_factory=dict)  # raw text of every substituted string
    variables: dict[YamlPath, tuple[str, ...]] = field(default_factory=dict)
    deferred: dict[YamlPath, tuple[str, ...]] = field(default_factory=dict)


def interpolate(
    doc: YamlDocument, env: Mapping[str, str], defer: Callable[[str], bool] | None = None
) -> InterpolatedDocument:
    """Interpolate every string value in `doc` (see module docstring for the rules, and `defer`)."""
    deferred: dict[YamlPath, tuple[str, ...]] = {}
    problems: dict[YamlPath, tuple[TextProblem, ...]] = {}
    originals: dict[YamlPath, str] = {}
    variables: dict[YamlPath, tuple[str, ...]] = {}

    def walk(value: YamlValue, path: YamlPath) -> YamlValue:
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value
        result = substitute(value, env, defer)
        originals[path] = value
        if result.deferred:
            deferred[path] = result.deferred
        if result.problems:
            problems[path] = result.problems
            return value
        if result.variables:
            variables[path] = result.variables
        if result.whole and path in doc.plain_strings and result.text != "" and not result.deferred:
            typed = resolve_plain_scalar(result.text if defer is None else substitute(value, env).text)
            return _escaped(typed) if defer is not None and isinstance(typed, str) else typed
        return result.text

    return InterpolatedDocument(walk(doc.data, ()), problems, originals, variables, deferred)


def has_deferred(text: str) -> bool:
    """Whether a string of the stored copy (module docstring) needs `resolve_deferred`."""
    return "${" in text


def resolve_deferred(text: str, env: Mapping[str, str]) -> Substitution:
    """A string of the stored copy resolved as the direct interpolation would have: its kept references
    substituted from `env`, its escapes turned back into `${`."""
    return substitute(text, env)


def dbt_env_var_text(text: str) -> str:
    """A string of the stored copy as dbt Jinja: kept references become `env_var()` calls (a default is
    used when the variable is unset *or empty*, as floe's own rule says), escapes become `${`."""
    parts: list[str] = []
    pos = 0
    for match in TOKEN.finditer(text):
        if match.start() > pos:
            parts.append(repr(text[pos : match.start()]))
        pos = match.end()
        if match.group(0) == "$${" or match.group(1) is None:
            parts.append(repr(match.group(0).replace("$${", "${")))
            continue
        reference = parse_body(match.group(1))
        if reference.has_default:
            parts.append(f"(env_var({reference.name!r}, '') or {reference.default!r})")
        else:
            parts.append(f"env_var({reference.name!r})")
    if pos < len(text):
        parts.append(repr(text[pos:]))
    return "{{ " + " ~ ".join(parts) + " }}" if parts else text
