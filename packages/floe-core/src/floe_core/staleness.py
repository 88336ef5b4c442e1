"""Did anything `floe compile` read change since? (issue 15: "silent surprises")

`${VAR:default}` is resolved at compile time, and the manifest reflects the dbt project as it was then: a
code location loaded after floe.yaml was edited, after a dbt model was added, or with another value of a
variable floe.yaml uses (`FLOE_TARGET=prod`) would silently serve the old state. `floe compile` records
what it read (`CompileInputs`); `stale_reasons` compares it with now and says what differs, so the load can
say "run floe compile".

Cheap on purpose (every code-location load runs it): floe.yaml is hashed; the dbt project is fingerprinted
by the relative path and size of its source files (a new, removed or resized file is seen; an edit that
keeps the size is not); variables are compared by a hash of their value, and secret-looking ones not at all
(they are resolved at load: floe_core.interpolation).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from floe_core.reference_syntax import TOKEN, parse_body
from floe_core.secrets import may_hold_secret
from floe_core.spec.base import FloeModel

_DBT_SOURCES = (".sql", ".yml", ".yaml", ".py", ".csv", ".md")
_DBT_SKIP = {"target", "logs", "dbt_packages", ".venv", "node_modules"}


class CompileInputs(FloeModel):
    spec_sha256: str
    variables: dict[str, str | None]  # name -> sha256 of its value at compile time (None: unset)
    dbt_files: str | None = None  # fingerprint of the dbt project's source files


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def referenced_variables(text: str) -> list[str]:
    """The variables floe.yaml's `${...}` references name, secret-looking ones left out."""
    names = {
        parse_body(m.group(1)).name
        for m in TOKEN.finditer(text)
        if m.group(0) != "$${" and m.group(1) is not None
    }
    return sorted(n for n in names if n and not may_hold_secret(n))


def dbt_fingerprint(project_dir: Path) -> str:
    """sha256 over (relative path, size) of the dbt project's source files."""
    entries: list[str] = []
    for path in _source_files(project_dir):
        try:
            entries.append(f"{path.relative_to(project_dir).as_posix()}\t{path.stat().st_size}")
        except OSError:
            continue
    return _sha("\n".join(sorted(entries)))


def _source_files(root: Path) -> Iterable[Path]:
    for entry in root.iterdir() if root.is_dir() else ():
        if entry.name in _DBT_SKIP or entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _source_files(entry)
        elif entry.suffix in _DBT_SOURCES:
            yield entry


def compile_inputs(spec_text: str, env: Mapping[str, str], dbt_project: Path | None) -> CompileInputs:
    return CompileInputs(
        spec_sha256=_sha(spec_text),
        variables={n: _sha(env[n]) if n in env else None for n in referenced_variables(spec_text)},
        dbt_files=dbt_fingerprint(dbt_project) if dbt_project is not None else None,
    )


def stale_reasons(
    recorded: CompileInputs, spec_path: Path, env: Mapping[str, str], dbt_project: Path | None
) -> list[str]:
    """What changed since `floe compile` recorded `recorded` (empty: nothing)."""
    reasons: list[str] = []
    try:
        text = spec_path.read_text(encoding="utf-8")
    except OSError:
        text = None
    if text is not None and _sha(text) != recorded.spec_sha256:
        reasons.append(f"{spec_path.name} changed")
    for name, digest in recorded.variables.items():
        now = _sha(env[name]) if name in env else None
        if now != digest:
            state = (
                "is unset now" if now is None else "was unset then" if digest is None else "has another value"
            )
            reasons.append(f"${name} {state}")
    if (
        recorded.dbt_files is not None
        and dbt_project is not None
        and dbt_fingerprint(dbt_project) != recorded.dbt_files
    ):
        reasons.append("the dbt project's files changed (a model added, removed or edited)")
    return reasons
