"""`floe init` on a user's own small dbt project, then the README path: validate, compile, load.

Cross-package (floe-core's `init`, floe-dbt's compile step, floe-dagster's definitions), hence here and
not under packages/floe-core/tests.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from floe_testkit import require

pytestmark = pytest.mark.slow  # `dbt parse`, importing dagster

BIN = Path(sys.executable).parent
LOAD = """
import json, runpy
from dagster import DagsterInstance
defs = runpy.run_path("definitions.py")["defs"]
keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
instance = DagsterInstance.get()  # reads $DAGSTER_HOME/dagster.yaml
print(json.dumps({"keys": keys, "storage": type(instance.run_storage).__name__}))
"""


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "DAGSTER_"))}
    done = subprocess.run(
        list(args),
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def test_init_then_validate_compile_and_load(tmp_path: Path) -> None:
    require(importlib.util.find_spec("dbt.adapters.duckdb") is not None, "dbt-duckdb")
    project = tmp_path / "shop"
    models = project / "transform" / "models"
    models.mkdir(parents=True)
    (project / "transform" / "dbt_project.yml").write_text(
        "name: shop\nversion: '1.0'\nconfig-version: 2\nprofile: shop\nmodel-paths: [models]\n"
    )
    (models / "orders.sql").write_text("select 1 as order_id\n")

    init = _run(str(BIN / "floe"), "init", "--dagster-home", cwd=project)
    assert init.returncode == 0, init.stderr
    assert _run(str(BIN / "floe"), "validate", cwd=project).returncode == 0
    compiled = _run(str(BIN / "floe"), "compile", cwd=project)
    assert compiled.returncode == 0, compiled.stderr

    artifacts = json.loads((project / ".floe" / "compiled_artifacts.json").read_text())
    assert artifacts["dbt"]["project_dir"] == "transform"
    assert artifacts["dbt"]["profile_name"] == "shop"
    manifest = json.loads((project / ".floe" / "dbt" / "manifest.json").read_text())
    assert "model.shop.orders" in manifest["nodes"]

    home = project / ".floe" / "dagster_home"
    loaded = _run(str(BIN / "python"), "-c", LOAD, cwd=project, env={"DAGSTER_HOME": str(home)})
    assert loaded.returncode == 0, loaded.stderr
    result = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert result == {"keys": ["orders"], "storage": "SqliteRunStorage"}

    # docs/getting-started.md, "Plain dbt with the generated profile": from the dbt project's folder, dbt
    # builds into the very DuckDB file the code location uses (floe.yaml's .floe/shop.duckdb)
    built = _run(str(BIN / "dbt"), "build", "--profiles-dir", "../.floe/profiles", cwd=project / "transform")
    assert built.returncode == 0, built.stdout + built.stderr
    assert not list((project / "transform").glob("*.duckdb"))
    import duckdb

    with duckdb.connect(str(project / ".floe" / "shop.duckdb"), read_only=True) as conn:
        assert conn.execute("select order_id from main.orders").fetchall() == [(1,)]
