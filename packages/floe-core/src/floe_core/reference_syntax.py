"""The grammar of `${VAR}` / `${VAR:default}` references and what to say about a malformed one.

Shared by yaml_source (which hides well-formed references from the YAML parser, and names malformed ones
when the YAML around them cannot be read) and interpolation (which substitutes them), so both speak about a
reference the same way: the reference as written, and the variable it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# One token of interpolated text: the `$${` escape, a closed `${...}` (its body never holds another `${`,
# so `${A} ${B` is one good reference and one unterminated one), or an unclosed `${` and the name-like text
# after it.
TOKEN = re.compile(r"\$\$\{|\$\{((?:[^}$]|\$(?!\{))*)\}|\$\{([A-Za-z0-9_]*)")

# What yaml_source hides from the YAML parser: an escape or a *well-formed* reference on one line. A
# malformed one (`${FOO"}`, `${FOO, a: b}`) is left to YAML, so it cannot swallow quotes or brackets that
# belong to the YAML around it; interpolation then names it.
WELL_FORMED = re.compile(rf"\$\$\{{[^}}\n]*\}}|\$\{{{NAME.pattern}(?::(?:[^}}$\n]|\$(?!\{{))*)?\}}")

_HOW = "write ${VAR} or ${VAR:default} (VAR: letters, digits and _, not starting with a digit)"


@dataclass(frozen=True)
class Reference:
    """One closed `${...}` reference, split into its parts."""

    name: str
    has_default: bool
    default: str


def parse_body(body: str) -> Reference:
    """`FOO:bar` -> Reference('FOO', True, 'bar'); the first ':' separates name and default."""
    name, colon, default = body.partition(":")
    return Reference(name, bool(colon), default)


def closed_problem(token: str, body: str) -> str | None:
    """What is wrong with the closed reference `token` (body between the braces), or None if nothing."""
    name = parse_body(body).name
    if not name:
        return f"invalid reference '{token}': no variable name; {_HOW}"
    if not NAME.fullmatch(name):
        # `${FOO, a: b}`: YAML structure after a name most likely means the '}' was forgotten
        start = NAME.match(name)
        cut = start is not None and name[start.end()] in " ,'\"]"
        hint = f" (a '}}' missing after {start.group(0)}?)" if start is not None and cut else ""
        return f"invalid reference '{token}': '{name}' is not a variable name{hint}; {_HOW}"
    return None


def unterminated_problem(name: str) -> str:
    """The message for `${` without its closing `}` (`name`: the name-like text right after it)."""
    if name:
        return (
            f"unterminated reference '${{{name}': missing '}}' after the variable name {name};"
            f" write ${{{name}}} or ${{{name}:default}}, or $${{ for a literal '${{'"
        )
    return f"unterminated '${{': {_HOW}, or $${{ for a literal '${{'"


def token_problem(match: re.Match[str]) -> str | None:
    """The syntax problem of one TOKEN match (None for the escape and for well-formed references)."""
    token = match.group(0)
    if token == "$${":
        return None
    body = match.group(1)
    if body is not None:
        return closed_problem(token, body)
    return unterminated_problem(match.group(2) or "")


@dataclass(frozen=True)
class MalformedReference:
    line: int  # 1-based
    column: int  # 1-based
    message: str


def malformed_references(text: str) -> list[MalformedReference]:
    """Every malformed reference in `text`, located (scanned line by line: a reference never spans one)."""
    found: list[MalformedReference] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "${" not in line:
            continue
        for match in TOKEN.finditer(line):
            message = token_problem(match)
            if message is not None:
                found.append(MalformedReference(number, match.start() + 1, message))
    return found
