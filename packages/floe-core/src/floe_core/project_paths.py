"""Files floe.yaml points at, checked when `floe validate` knows the folder of floe.yaml.

- `transforms[].path` (dbt): the folder must exist and hold dbt_project.yml;
- `orchestration.asset_modules` entries written as paths (ending in .py or holding a '/'): the .py file must
  exist. Dotted module names are not checked here: finding one means importing it, which runs user code
  (floe-dagster's compile step does it).

Works on the raw interpolated values (like spec_checks), so these problems come with every other one.
Paths are relative to the folder of floe.yaml (absolute ones are taken as they are).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from floe_core.suggest import closest
from floe_core.validation_errors import PathIssue
from floe_core.yaml_source import YamlValue

DBT_PROJECT_FILE = "dbt_project.yml"
_SKIPPED_FOLDERS = frozenset({"target", "logs", "dbt_packages", "node_modules", "__pycache__"})
_MAX_LISTED = 200  # a project folder may be large (or someone's home): look at this many entries at most


def is_module_path(entry: str) -> bool:
    """An asset_modules entry naming a file (vs a dotted module name), as floe-dagster reads it."""
    return entry.endswith(".py") or "/" in entry or "\\" in entry


def _shown(root: Path, relative: str) -> Path:
    return Path(os.path.normpath(root.resolve() / relative))


def _children(folder: Path) -> Iterator[Path]:
    try:
        entries = sorted(folder.iterdir())[:_MAX_LISTED]
    except OSError:
        return
    yield from entries


def dbt_projects_near(root: Path) -> list[str]:
    """Folders holding dbt_project.yml: the root itself or one level below, relative to `root` ('.')."""
    found = ["."] if (root / DBT_PROJECT_FILE).is_file() else []
    for child in _children(root):
        if child.name.startswith(".") or child.name in _SKIPPED_FOLDERS or not child.is_dir():
            continue
        if (child / DBT_PROJECT_FILE).is_file():
            found.append(child.name)
    return found


def _dbt_hint(path: str, root: Path) -> str:
    projects = [p for p in dbt_projects_near(root) if os.path.normpath(p) != os.path.normpath(path)]
    if not projects:
        return ""
    close = closest(path, projects)
    if close is not None:
        return f"; did you mean '{close}'?"
    return f"; dbt projects found: {', '.join(projects)}"


def _dbt_transform(path: str, root: Path) -> str | None:
    folder = root / path
    where = f"(looked in {_shown(root, path)}; paths are relative to the folder of floe.yaml)"
    if not folder.exists():
        return f"dbt project folder '{path}' does not exist {where}{_dbt_hint(path, root)}"
    if not folder.is_dir():
        return f"'{path}' is a file; expected the dbt project folder, the one holding {DBT_PROJECT_FILE}"
    if not (folder / DBT_PROJECT_FILE).is_file():
        return (
            f"no {DBT_PROJECT_FILE} in '{path}' {where}: expected a dbt project folder{_dbt_hint(path, root)}"
        )
    return None


def _python_files_beside(entry: str, root: Path) -> list[str]:
    parent = Path(entry.replace("\\", "/")).parent
    return [
        (parent / child.name).as_posix()
        for child in _children(root / parent)
        if child.suffix == ".py" and child.is_file()
    ]


def _asset_module(entry: str, root: Path) -> str | None:
    target = root / entry
    if not entry.endswith(".py"):
        kind = "a folder" if target.is_dir() else "not a .py file"
        return (
            f"asset module path '{entry}' is {kind}: write the path of a .py file relative to floe.yaml"
            " (e.g. 'assets/raw.py'), or a dotted module name (e.g. 'assets.raw')"
        )
    if target.is_file():
        return None
    close = closest(entry, _python_files_beside(entry, root))
    hint = f"; did you mean '{close}'?" if close is not None else ""
    return (
        f"asset module file '{entry}' does not exist (looked for {_shown(root, entry)}; paths are relative"
        f" to the folder of floe.yaml){hint}"
    )


def check_project_paths(data: dict[str, YamlValue], root: Path) -> list[PathIssue]:
    """Problems with the dbt project folders and asset module files floe.yaml names (see module doc)."""
    issues: list[PathIssue] = []
    transforms = data.get("transforms")
    for i, transform in enumerate(transforms if isinstance(transforms, list) else []):
        if not isinstance(transform, dict) or transform.get("type") != "dbt":
            continue
        path = transform.get("path")
        message = _dbt_transform(path, root) if isinstance(path, str) and path else None
        if message is not None:
            issues.append(PathIssue(("transforms", i, "path"), message, path))
    orchestration = data.get("orchestration")
    modules = orchestration.get("asset_modules") if isinstance(orchestration, dict) else None
    for i, entry in enumerate(modules if isinstance(modules, list) else []):
        if isinstance(entry, str) and entry and is_module_path(entry):
            message = _asset_module(entry, root)
            if message is not None:
                issues.append(PathIssue(("orchestration", "asset_modules", i), message, entry))
    return issues
