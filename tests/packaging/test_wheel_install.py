"""README "Install", for real: `make dist` builds the wheels, a fresh `uv venv` gets them (with the [duckdb]
extra) and only them from this repository — every third-party package comes from PyPI — and the installed
`floe` validates and compiles a small dbt project whose Dagster definitions then load and materialize.

The commands are the README's own block, run by bash as written; only the two placeholders (where floe was
cloned, the user's project) are filled in and the final `dagster dev` (a server) is replaced by loading the
definitions the same way. The test fails rather than skips under CI=true (floe_testkit.require)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from floe_testkit import require

pytestmark = [pytest.mark.slow, pytest.mark.packaging, pytest.mark.xdist_group("packaging")]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FLOE_LINE = "FLOE=~/src/floe"
PROJECT_LINE = "cd ~/src/shop"
DAGSTER_DEV = 'DAGSTER_HOME="$PWD/.floe/dagster_home" dagster dev -f definitions.py'

# what `dagster dev -f definitions.py` does first: import the file and resolve its Definitions; then a run
# of every asset in process (dbt through the installed dbt-duckdb), and the rows it wrote
LOAD_AND_RUN = """
import json, runpy, duckdb
from dagster import DagsterInstance
defs = runpy.run_path("definitions.py")["defs"]
keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=DagsterInstance.get())
with duckdb.connect(".floe/shop.duckdb", read_only=True) as conn:
    rows = conn.execute("select order_id, item from main.orders order by order_id").fetchall()
    count = conn.execute("select n from main.order_count").fetchall()
print(json.dumps({"keys": keys, "success": result.success, "rows": rows, "count": count}))
"""


def _readme_install_block() -> str:
    match = re.search(r"## Install\n.*?```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert match, "README lost its Install block"
    return match.group(1)


def _uv() -> str | None:
    found = shutil.which("uv")
    beside = Path.home() / ".local" / "bin" / "uv"  # where `make setup` bootstraps it
    return found or (str(beside) if beside.exists() else None)


def _write_user_project(project: Path) -> None:
    """A user's own small dbt project, one folder below where floe.yaml will be."""
    models = project / "transform" / "models"
    models.mkdir(parents=True)
    (project / "transform" / "dbt_project.yml").write_text(
        "name: shop\nversion: '1.0'\nconfig-version: 2\nprofile: shop\nmodel-paths: [models]\n"
    )
    (models / "orders.sql").write_text(
        "{{ config(materialized='table') }}\n"
        "select 1 as order_id, 'apple' as item union all select 2, 'pear' union all select 3, 'fig'\n"
    )
    (models / "order_count.sql").write_text(
        "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('orders') }}\n"
    )


def _clean_env(uv: str, home: Path) -> dict[str, str]:
    """A user's shell: none of this test run's virtualenv, floe or Dagster settings; uv on PATH."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "DAGSTER_", "VIRTUAL_ENV"))}
    keep.pop("PYTHONPATH", None)
    keep["PATH"] = os.pathsep.join([str(Path(uv).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    keep["UV_PYTHON_DOWNLOADS"] = "never"  # the machine's Python, as the README asks
    keep["DAGSTER_HOME"] = str(home)
    return keep


def test_readme_install_builds_installs_compiles_and_loads(tmp_path: Path) -> None:
    uv = _uv()
    require(uv is not None, "uv (make setup installs it)")
    assert uv is not None
    block = _readme_install_block()
    lines = block.strip().splitlines()
    assert lines[0].split("#")[0].strip() == FLOE_LINE, lines[0]
    assert any(line.split("#")[0].strip() == PROJECT_LINE for line in lines), block
    assert lines[-1].strip() == DAGSTER_DEV, lines[-1]

    project = tmp_path / "shop"
    _write_user_project(project)
    script = "\n".join(
        [
            "set -euo pipefail",
            *(
                f"FLOE={ROOT}"
                if line.split("#")[0].strip() == FLOE_LINE
                else f"cd {project}"
                if line.split("#")[0].strip() == PROJECT_LINE
                else line
                for line in lines[:-1]
            ),
            'echo "floe at: $(command -v floe)"',
            "floe --version",
        ]
    )
    env = _clean_env(uv, project / ".floe" / "dagster_home")
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output, output

    # `make dist`: a wheel of each of the five distributions, and nothing else
    assert sorted(w.name for w in (ROOT / "dist").glob("*.whl")) == [
        f"floe_data_{name}-0.1.0-py3-none-any.whl" for name in ("airflow", "api", "core", "dagster", "dbt")
    ]
    venv_python = project / ".venv" / "bin" / "python"
    # the installed floe is the fresh venv's, from the wheels (not this checkout: no editable install)
    assert f"floe at: {project}/.venv/bin/floe" in done.stdout
    assert "floe-data-core 0.1.0\nfloe-data-dbt 0.1.0\nfloe-data-dagster 0.1.0" in done.stdout
    listed = subprocess.run(
        [uv, "pip", "list", "--python", str(venv_python), "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {p["name"]: p for p in json.loads(listed.stdout)}
    for name in ("floe-data-core", "floe-data-dbt", "floe-data-dagster"):
        assert installed[name]["version"] == "0.1.0"
        assert "editable_project_location" not in installed[name], installed[name]
    assert "dbt-duckdb" in installed  # the [duckdb] extra
    assert "floe-core" not in installed  # PyPI's unrelated floe-core never comes in
    assert "dbt-postgres" not in installed  # adapters come only with their extra

    artifacts = json.loads((project / ".floe" / "compiled_artifacts.json").read_text())
    assert artifacts["dbt"]["project_dir"] == "transform"
    assert (project / ".floe" / "dagster_home" / "dagster.yaml").is_file()

    loaded = subprocess.run(
        [str(venv_python), "-c", LOAD_AND_RUN],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    result = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert result == {
        "keys": ["order_count", "orders"],
        "success": True,
        "rows": [[1, "apple"], [2, "pear"], [3, "fig"]],
        "count": [[3]],
    }

    _missing_adapter_named_then_installed_by_the_hint(project, env)


def _floe_compile(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`floe compile` from the project's own venv (the installed wheels)."""
    return subprocess.run(
        [str(project / ".venv" / "bin" / "floe"), "compile"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _missing_adapter_named_then_installed_by_the_hint(project: Path, env: dict[str, str]) -> None:
    # a target whose adapter did not come with the install: floe names the extra, exit 1, no traceback
    floe_yaml = project / "floe.yaml"
    warehouse = (
        "    warehouse:\n"
        "      type: postgres\n"
        "      properties: {host: 127.0.0.1, database: test, schema: shop}\n"
        "      credentials: {method: password, user_env: SHOP_PG_USER, password_env: SHOP_PG_PASSWORD}\n"
    )
    text = floe_yaml.read_text()
    assert text.count("\ntransforms:\n") == 1, text
    floe_yaml.write_text(text.replace("\ntransforms:\n", "\n" + warehouse + "transforms:\n"))
    missing = _floe_compile(project, {**env, "FLOE_TARGET": "warehouse"})
    assert missing.returncode == 1, missing.stdout + missing.stderr
    assert "Traceback" not in missing.stdout + missing.stderr
    assert "compute.targets.warehouse.type: the dbt adapter for postgres targets (dbt-postgres) is not" in (
        missing.stderr
    )
    hint = re.search(
        r"install floe's extra for it: (uv pip install 'floe-data-dbt\[postgres\]')", missing.stderr
    )
    assert hint, missing.stderr

    # the hint, run as written in the project's venv, is enough: the same compile then succeeds
    followed = subprocess.run(
        ["bash", "-c", f"set -euo pipefail; source .venv/bin/activate; {hint.group(1)}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert followed.returncode == 0, followed.stdout + followed.stderr
    compiled = _floe_compile(project, {**env, "FLOE_TARGET": "warehouse"})
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    artifacts = json.loads((project / ".floe" / "compiled_artifacts.json").read_text())
    assert artifacts["target"]["type"] == "postgres"
