"""`floe compile` (which has the manifest) says what the code location's load would reject — or, for a dbt
source mapped to an asset key nothing makes, silently get wrong — with floe.yaml lines, all at once, and
exits 1 without a traceback (issue 15: every mistake caught before deploy)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from floe_projects import BIN, DEMO, copy_project


def test_selections_naming_no_asset_and_an_unmade_source_key_fail_the_compile(tmp_path: Path) -> None:
    project = copy_project(DEMO, tmp_path / "demo")
    spec = project / "floe.yaml"
    text = spec.read_text()
    text = text.replace(
        'daily_orders: {type: batch, selection: "group:daily"}',
        "daily_orders: {type: batch, keys: [daly_orders]}",
    )
    text = text.replace('selection: "group:bronze or group:silver"}', "groups: [silvr]}")
    text = text.replace("bronze.raw_orders: raw_orders", "bronze.raw_orders: raw_ordrs")
    # a typo inside an `or`: the rest of the expression selects assets, the mistyped name silently nothing
    text = text.replace('{select: "group:gold",', '{select: "group:gold or group:glod",')
    text = text.replace(
        "\n  jobs:\n", '\n  jobs:\n    typo_or: {type: batch, selection: "key:stg_orders or key:stg_ordrs"}\n'
    )
    spec.write_text(text)
    lines = {
        needle: i
        for i, line in enumerate(text.splitlines(), 1)
        for needle in ("daly_orders", "silvr", "raw_ordrs", "glod", "stg_ordrs")
        if needle in line
    }

    done = subprocess.run(
        [str(BIN / "floe"), "compile"],
        cwd=project,
        env={**os.environ, "FLOE_DUCKDB_PATH": ".floe/demo.duckdb"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stderr + done.stdout
    assert "Traceback" not in out, out
    assert (
        f"floe.yaml:{lines['daly_orders']}: orchestration.jobs.daily_orders.keys[0]: no asset has this key;"
        " did you mean 'raw_daily_orders'? (got 'daly_orders')"
    ) in out
    assert (
        f"floe.yaml:{lines['silvr']}: orchestration.jobs.bronze_and_silver.groups[0]: no asset is in this group;"
        " did you mean 'silver'? (got 'silvr')"
    ) in out
    assert (
        f"floe.yaml:{lines['glod']}: orchestration.assets[0].select[0]: 'group:glod' matches no asset;"
        " did you mean 'group:gold'? (got 'group:gold or group:glod')"
    ) in out
    assert (
        f"floe.yaml:{lines['stg_ordrs']}: orchestration.jobs.typo_or.selection: 'key:stg_ordrs' matches no asset;"
        " did you mean 'key:stg_orders'? (got 'key:stg_orders or key:stg_ordrs')"
    ) in out
    assert (
        f"floe.yaml:{lines['raw_ordrs']}: orchestration.dbt.sources.bronze.raw_orders: no asset of asset_modules"
        " has the key 'raw_ordrs', so dbt source bronze.raw_orders would have no upstream; did you mean"
        " 'raw_orders'?"
    ) in out
    assert "Warning" not in out  # Dagster's beta notices are not the user's problem
    assert not (project / ".floe" / "compiled_artifacts.json").exists()  # nothing published
