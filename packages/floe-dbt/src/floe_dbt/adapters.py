"""Is the dbt adapter of the active compute target installed? If not, which extra brings it.

floe comes without dbt adapters: each one is an extra of floe-data-dbt named like the target type
(`pip install 'floe-data-dbt[snowflake]'`). Without this check `floe compile` ended in dbt's
"Could not find adapter type snowflake!", which says nothing about what to install.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from floe_core.errors import FloeError, Issue
from floe_core.loader import read_config
from floe_core.spec import FloeSpec
from floe_core.yaml_source import load_yaml

from floe_dbt.profiles import profile_for

DISTRIBUTION = "floe-data-dbt"  # the distribution whose extras bring the adapters (pyproject.toml)


def adapter_module(target_type: str) -> str:
    """The module every dbt adapter of this type installs (dbt's plugin layout: dbt.adapters.<type>)."""
    return f"dbt.adapters.{target_type}"


def adapter_installed(target_type: str) -> bool:
    try:
        return importlib.util.find_spec(adapter_module(target_type)) is not None
    except (ImportError, ValueError):  # a parent package missing or broken: not importable either
        return False


def install_hint(target_type: str) -> str:
    """The command that adds the adapter to floe's environment (a `uv venv` has no pip; pip takes the
    same arguments). floe-data-dbt itself is installed already: only the extra's packages come in."""
    return f"uv pip install '{DISTRIBUTION}[{target_type}]'"


def check_active_adapter(spec: FloeSpec, spec_path: Path) -> None:
    """A FloeError naming the target, its adapter package and the extra to install, when the active
    target's dbt adapter cannot be imported; `file:line: path: message (got value)` like floe validate."""
    name = spec.compute.default
    target_type = spec.compute.targets[name].type
    if adapter_installed(target_type):
        return
    package = profile_for(target_type).adapter_package
    path = ("compute", "targets", name, "type")
    try:
        line = load_yaml(read_config(spec_path), str(spec_path)).line_of(path)
    except FloeError:  # the file changed since it was validated: report without the line
        line = None
    issue = Issue(
        ".".join(path),
        f"the dbt adapter for {target_type} targets ({package}) is not installed, and the active target"
        f" '{name}' needs it; install floe's extra for it: {install_hint(target_type)}"
        f" (or: pip install '{DISTRIBUTION}[{target_type}]')",
        target_type,
        line,
    )
    raise FloeError(issue.render(str(spec_path)))
