"""The active target's dbt adapter missing: `floe compile` names the extra to install (issue 15, installing).

The dev environment has every adapter, so the missing one is made missing for real in a child process: an
import hook refuses `dbt.adapters.snowflake` the way Python does for a package that is not installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from floe_dbt.adapters import adapter_installed, install_hint

SNOWFLAKE_ACTIVE = """compute:
  default: prod
  targets:
    dev:
      type: duckdb
    prod:
      type: snowflake
      properties: {account: xy123, database: ANALYTICS, schema: core, warehouse: WH}
      credentials: {method: password, user_env: FLOE_T_SF_USER, password_env: FLOE_T_SF_PASSWORD}
"""

# `floe compile` as the console script runs it, with the snowflake adapter not installed
WITHOUT_SNOWFLAKE = textwrap.dedent(
    """
    import sys

    class NotInstalled:
        def find_spec(self, name, path=None, target=None):
            if name == "dbt.adapters.snowflake" or name.startswith("dbt.adapters.snowflake."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
    from floe_core.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def test_installed_adapters_are_found() -> None:
    assert adapter_installed("duckdb")
    assert adapter_installed("snowflake")
    assert not adapter_installed("nosuchwarehouse")
    assert install_hint("bigquery") == "uv pip install 'floe-data-dbt[bigquery]'"


def test_compile_names_the_extra_when_the_active_adapter_is_missing(
    tmp_path: Path, project_files: Any
) -> None:
    write_dbt_project, write_floe_yaml = project_files
    write_dbt_project(tmp_path)
    floe_yaml = write_floe_yaml(tmp_path, SNOWFLAKE_ACTIVE)
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_SNOWFLAKE, "compile", "-c", str(floe_yaml)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == (
        f"floe: error: {floe_yaml}:9: compute.targets.prod.type: the dbt adapter for snowflake targets"
        " (dbt-snowflake) is not installed, and the active target 'prod' needs it; install floe's extra"
        " for it: uv pip install 'floe-data-dbt[snowflake]' (or: pip install 'floe-data-dbt[snowflake]')"
        " (got 'snowflake')"
    )
    assert "Traceback" not in done.stderr + done.stdout
    assert "Could not find adapter" not in done.stderr + done.stdout
    assert not (tmp_path / ".floe" / "compiled_artifacts.json").exists()
