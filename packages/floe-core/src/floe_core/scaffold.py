"""`floe init`: the files a new floe project starts from.

In the chosen folder: floe.yaml (pointing at the dbt project found there or one level below, with a DuckDB
dev target), definitions.py (the Dagster code location), .gitignore entries for what floe, dbt, DuckDB and
Dagster write, and — only when asked — a dagster.yaml in the folder meant for DAGSTER_HOME.

Existing files are never overwritten unless `force`; .gitignore is only appended to (lines it already has
are not repeated). Every file is written atomically. The floe.yaml written is validated before anything is
written, so `floe validate` accepts it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from floe_core.errors import FloeError, FloeValidationError
from floe_core.fs import atomic_write_text
from floe_core.loader import parse_spec, read_config
from floe_core.project_paths import DBT_PROJECT_FILE, dbt_projects_near
from floe_core.yaml_source import load_yaml

CONFIG_NAME = "floe.yaml"
DEFINITIONS_NAME = "definitions.py"
DAGSTER_YAML_NAME = "dagster.yaml"
GITIGNORE_NAME = ".gitignore"
# what floe (.floe/: artifacts, profiles, manifest), dbt (target/, logs/) and DuckDB write
GITIGNORE_ENTRIES = (".floe/", "target/", "logs/", "*.duckdb", "*.duckdb.wal")
_PROJECT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class DbtProject:
    """The dbt project floe.yaml will point at."""

    path: str  # relative to the floe.yaml folder, '/'-separated ('.' for the folder itself)
    name: str | None  # `name:` of dbt_project.yml
    profile: str | None  # `profile:` of dbt_project.yml


@dataclass(frozen=True)
class InitPlan:
    """What `floe init` writes: whole files (created or, with force, replaced) and .gitignore lines."""

    folder: Path
    name: str
    dbt: DbtProject | None
    files: dict[Path, str] = field(default_factory=dict)
    gitignore_lines: tuple[str, ...] = ()
    dagster_home: Path | None = None


def _read_dbt_project(folder: Path, relative: str) -> DbtProject:
    try:
        data = load_yaml(read_config(folder / relative / DBT_PROJECT_FILE)).data
    except FloeError:
        data = None  # unreadable: floe compile (dbt itself) will say why
    values = data if isinstance(data, dict) else {}
    name, profile = values.get("name"), values.get("profile")
    return DbtProject(
        Path(relative).as_posix(),
        name if isinstance(name, str) and name else None,
        profile if isinstance(profile, str) and profile else None,
    )


def find_dbt_project(folder: Path, chosen: str | None = None) -> DbtProject | None:
    """The dbt project in `folder` or one level below (or `chosen`, relative to `folder`)."""
    if chosen is not None:
        target = folder / chosen
        if not (target / DBT_PROJECT_FILE).is_file():
            raise FloeError(f"--dbt-project {chosen}: no {DBT_PROJECT_FILE} in {target.resolve()}")
        return _read_dbt_project(folder, os.path.relpath(target.resolve(), folder.resolve()))
    found = dbt_projects_near(folder)
    if len(found) > 1:
        raise FloeError(
            f"several dbt projects in {folder.resolve()}: {', '.join(found)}; choose one with --dbt-project PATH"
        )
    return _read_dbt_project(folder, found[0]) if found else None


def project_name(folder: Path, dbt: DbtProject | None) -> str:
    """floe.yaml `name`: the dbt project's name, else the folder's, made to fit the name pattern."""
    raw = (dbt.name if dbt is not None else None) or folder.resolve().name
    name = re.sub(r"[^A-Za-z0-9_\-]", "_", raw)
    if not name or not _PROJECT_NAME.match(name):
        name = f"_{name}"
    return name


def floe_yaml_text(name: str, dbt: DbtProject | None) -> str:
    """A floe.yaml that validates: a DuckDB dev target at .floe/<name>.duckdb, the dbt project if any."""
    lines = [
        "# floe.yaml: one file describes the pipeline. Reference: docs/floe-yaml.md of floe;",
        "# `floe schema -o floe.schema.json` gives your editor its JSON Schema.",
        f"name: {json.dumps(name)}",
        'version: "1.0"',
        "compute:",
        "  default: ${FLOE_TARGET:dev}               # the active target; FLOE_TARGET=<name> picks another",
        "  targets:",
        "    dev:",
        "      type: duckdb",
        "      properties:",
        f"        path: ${{FLOE_DUCKDB_PATH:.floe/{name}.duckdb}}  # relative to this file",
        "        threads: 4",
    ]
    if dbt is not None:
        lines += [
            "transforms:",
            "  - type: dbt",
            f"    path: {json.dumps(dbt.path)}  # relative to this file",
        ]
        if dbt.profile is None:  # dbt_project.yml names no profile: floe must be told which one to write
            lines.append(f"    profile_name: {json.dumps(dbt.name or name)}")
    else:
        lines += [
            "# transforms:",
            "#   - type: dbt",
            "#     path: dbt                     # your dbt project folder, relative to this file",
        ]
    lines += [
        "# orchestration:",
        "#   asset_modules: [assets/raw.py]    # Python assets: .py paths or dotted module names",
        "#   jobs: {nightly: {type: batch, selection: '*'}}",
        "#   schedules: {nightly: {job: nightly, cron: '0 2 * * *'}}",
    ]
    return "\n".join(lines) + "\n"


def definitions_text() -> str:
    """definitions.py: the Dagster code location, built from what `floe compile` wrote."""
    return (
        '"""Dagster code location of this floe project (run `floe compile` first, and after every change)."""\n'
        "\n"
        "from floe_dagster import FloeDefinitions\n"
        "\n"
        "defs = FloeDefinitions.from_compiled_artifacts()\n"
    )


def dagster_yaml_text() -> str:
    """dagster.yaml for the folder DAGSTER_HOME points at: Dagster's defaults (SQLite storage there), plus
    the pool limit that gives a DuckDB file one writer at a time (floe_dagster.pools), and sensors in threads."""
    return (
        "# Dagster instance settings for this floe project (written by `floe init`).\n"
        "# Point DAGSTER_HOME at this folder: Dagster keeps runs, event logs and schedule state here\n"
        "# (SQLite). Settings not written below keep Dagster's defaults; see\n"
        "# https://docs.dagster.io/deployment/oss/dagster-yaml\n"
        "\n"
        "# floe puts every step that writes the project's DuckDB file in the pool `duckdb_<file>`: a DuckDB\n"
        "# file takes one writer at a time, so pools run one step at a time, across runs (UI, schedules,\n"
        "# sensors, backfills). Raise it for pools of your own with `dagster instance concurrency set`.\n"
        "concurrency:\n"
        "  pools:\n"
        "    default_limit: 1\n"
        "\n"
        "# Each sensor evaluated in its own thread: floe's downstream-triggers sensor watches for finished runs\n"
        "# for a while on each evaluation (docs/triggers.md), and must not hold the other sensors up.\n"
        "sensors:\n"
        "  use_threads: true\n"
        "  num_workers: 4\n"
    )


def _normalized(line: str) -> str:
    return line.strip().strip("/")


def missing_gitignore_lines(existing: str, wanted: tuple[str, ...]) -> tuple[str, ...]:
    """The `wanted` entries .gitignore does not have yet (`/x/`, `x/` and `x` count as the same)."""
    have = {_normalized(line) for line in existing.splitlines()}
    return tuple(w for w in wanted if _normalized(w) not in have)


def _relative_entry(folder: Path, target: Path) -> str | None:
    """The .gitignore line for folder `target`, None when .floe/ already covers it or it is outside."""
    try:
        relative = target.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return None
    return None if relative == ".floe" or relative.startswith(".floe/") else f"{relative}/"


def plan_init(
    folder: Path,
    *,
    name: str | None = None,
    dbt_project: str | None = None,
    dagster_home: Path | None = None,
) -> InitPlan:
    """What `floe init` would write in `folder` (nothing is written yet)."""
    dbt = find_dbt_project(folder, dbt_project)
    chosen = name if name is not None else project_name(folder, dbt)
    if not _PROJECT_NAME.match(chosen):
        raise FloeError(
            f"--name {chosen!r}: a project name is letters, digits, _ and -, not starting with a digit or -"
        )
    text = floe_yaml_text(chosen, dbt)
    try:
        parse_spec(text, str(folder / CONFIG_NAME), env={}, root=folder)
    except FloeValidationError as exc:  # a bug in floe init, not a user error: say what is wrong
        raise RuntimeError(f"floe init produced an invalid floe.yaml:\n{exc}") from None
    files = {folder / CONFIG_NAME: text, folder / DEFINITIONS_NAME: definitions_text()}
    wanted = list(GITIGNORE_ENTRIES)
    home = (folder / dagster_home) if dagster_home is not None else None
    if home is not None:
        files[home / DAGSTER_YAML_NAME] = dagster_yaml_text()
        entry = _relative_entry(folder, home)
        if entry is not None:
            wanted.append(entry)
    existing = (
        (folder / GITIGNORE_NAME).read_text(encoding="utf-8") if (folder / GITIGNORE_NAME).is_file() else ""
    )
    return InitPlan(folder, chosen, dbt, files, missing_gitignore_lines(existing, tuple(wanted)), home)


def write_init(plan: InitPlan, *, force: bool = False) -> list[str]:
    """Write the plan; returns what was done, one line each. Refuses (FloeError) to replace any existing
    file, listing them, unless `force`."""
    existing = [p for p in plan.files if p.exists()]
    if existing and not force:
        listed = ", ".join(os.path.relpath(p, plan.folder) for p in existing)
        raise FloeError(
            f"floe init would overwrite {listed} in {plan.folder.resolve()}; nothing was written."
            " Move them away, or pass --force to replace them"
        )
    done: list[str] = []
    for path, text in plan.files.items():
        atomic_write_text(path, text)
        done.append(f"{'replaced' if path in existing else 'wrote'} {os.path.relpath(path, plan.folder)}")
    if plan.gitignore_lines:
        path = plan.folder / GITIGNORE_NAME
        before = path.read_text(encoding="utf-8") if path.is_file() else ""
        separator = "" if not before or before.endswith("\n") else "\n"
        added = "\n".join(("# floe, dbt, DuckDB, Dagster (floe init)", *plan.gitignore_lines)) + "\n"
        atomic_write_text(path, before + separator + added)
        done.append(
            f"{'updated' if before else 'wrote'} {GITIGNORE_NAME} (+ {' '.join(plan.gitignore_lines)})"
        )
    return done
