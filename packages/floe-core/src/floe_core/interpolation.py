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
"""

from __future__ import annotations

from collections.abc import Mapping
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


def substitute(text: str, env: Mapping[str, str]) -> Substitution:
    """Replace every reference in `text`; problems are returned, not raised, so all get reported."""
    out: list[str] = []
    used: list[str] = []
    problems: list[TextProblem] = []
    pos = 0
    references = 0
    for match in TOKEN.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token == "$${":
            out.append("${")
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
        if value:
            used.append(name)
            out.append(value)
        elif reference.has_default:
            out.append(reference.default)
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
    return Substitution("".join(out), tuple(used), tuple(problems), whole)


@dataclass(frozen=True)
class InterpolatedDocument:
    """Interpolated values plus where substitution failed and which env vars fed which path."""

    data: YamlValue
    problems: dict[YamlPath, tuple[TextProblem, ...]] = field(default_factory=dict)
    originals: dict[YamlPath, str] = field(default_factory=dict)  # raw text of every substituted string
    variables: dict[YamlPath, tuple[str, ...]] = field(default_factory=dict)


def interpolate(doc: YamlDocument, env: Mapping[str, str]) -> InterpolatedDocument:
    """Interpolate every string value in `doc` (see module docstring for the rules)."""
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
        result = substitute(value, env)
        originals[path] = value
        if result.problems:
            problems[path] = result.problems
            return value
        if result.variables:
            variables[path] = result.variables
        if result.whole and path in doc.plain_strings and result.text != "":
            return resolve_plain_scalar(result.text)
        return result.text

    return InterpolatedDocument(walk(doc.data, ()), problems, originals, variables)
