"""`floe compile` (which has the manifest) says what the code location's load would reject — or, for a dbt
source mapped to an asset key nothing makes, silently get wrong — with floe.yaml lines, all at once, and
exits 1 without a traceback (issue 15: every mistake caught before deploy)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from floe_projects import BIN, DEMO, copy_project


def _compile(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "floe"), "compile"],
        cwd=project,
        env={**os.environ, "FLOE_DUCKDB_PATH": ".floe/demo.duckdb"},
        capture_output=True,
        text=True,
        check=False,
    )


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

    done = _compile(project)
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


@pytest.mark.parametrize("partitions", ["{type: static, keys: [a, b, c]}", "{type: dynamic}"])
def test_runs_over_several_static_keys_of_a_dbt_model_fail_the_compile(
    tmp_path: Path, partitions: str
) -> None:
    """A backfill_policy or a backfill batch that would run a dbt model over several static or dynamic keys at once (dbt
    would build the first key only, Dagster would mark them all materialized) is rejected with its line."""
    project = copy_project(DEMO, tmp_path / "demo")
    spec = project / "floe.yaml"
    text = spec.read_text()
    text = text.replace(
        "daily: {type: time_window, start: 2024-01-01, end: 2024-04-01}",
        f"daily: {partitions}",
    )
    text = text.replace(
        "q1_2024: {job: daily_orders, start: 2024-01-01, end: 2024-03-31, batch_size: 31}",
        "q1_2024: {job: daily_orders, start: a, end: c, batch_size: 3}",
    )
    spec.write_text(text)
    lines = {
        needle: i
        for i, line in enumerate(text.splitlines(), 1)
        for needle in ("max_partitions_per_run: 31", "batch_size: 3")
        if needle in line
    }
    done = _compile(project)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stderr + done.stdout
    assert "Traceback" not in out, out
    one_key = (
        "dbt models get one key of static or dynamic partitions per run (var floe_partition_key), so a run over"
        " several keys would build only the first while Dagster marks them all materialized"
    )
    assert (
        f"floe.yaml:{lines['max_partitions_per_run: 31']}: orchestration.assets[1].backfill_policy: {one_key}:"
        " set max_partitions_per_run: 1 (partitions 'daily') (got 31)"
    ) in out
    assert (
        f"floe.yaml:{lines['batch_size: 3']}: orchestration.backfills.q1_2024.batch_size: {one_key}:"
        " use batch_size: 1 for job 'daily_orders' (got 3)"
    ) in out

    fixed = text.replace("max_partitions_per_run: 31", "max_partitions_per_run: 1").replace(
        "batch_size: 3", "batch_size: 1"
    )
    spec.write_text(fixed)
    again = _compile(project)
    assert again.returncode == 0, again.stdout + again.stderr


def test_an_empty_selection_and_a_key_with_no_close_name_fail_the_compile(tmp_path: Path) -> None:
    """An empty expression is refused with what a selection looks like; a key typo close to no existing key
    still gets a hint: the keys there are."""
    project = copy_project(DEMO, tmp_path / "demo")
    spec = project / "floe.yaml"
    text = spec.read_text()
    text = text.replace(
        'daily_orders: {type: batch, selection: "group:daily"}', 'daily_orders: {type: batch, selection: ""}'
    )
    text = text.replace('selection: "group:bronze or group:silver"}', 'selection: "key:zzz"}')
    spec.write_text(text)
    empty = 'selection: ""'
    lines = {
        needle: i
        for i, line in enumerate(text.splitlines(), 1)
        for needle in (empty, "key:zzz")
        if needle in line
    }
    done = _compile(project)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stderr + done.stdout
    assert "Traceback" not in out, out
    assert (
        f"floe.yaml:{lines[empty]}: orchestration.jobs.daily_orders.selection: empty selection:"
        " expected a key glob like 'raw_*' or a selection like 'group:silver' (got '')"
    ) in out
    # the empty selection is a structural error (floe validate), reported before the manifest checks run
    spec.write_text(text.replace(empty, 'selection: "group:daily"'))
    done = _compile(project)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stderr + done.stdout
    assert "Traceback" not in out, out
    assert (
        f"floe.yaml:{lines['key:zzz']}: orchestration.jobs.bronze_and_silver.selection: 'key:zzz' matches no asset;"
        " known keys: customer_orders, fct_daily_orders, raw_customers, raw_daily_orders, raw_order_items, …"
        " (got 'key:zzz')"
    ) in out


def test_a_symbol_operator_names_the_word_dagster_expects(tmp_path: Path) -> None:
    """`a | b` (dbt's and shells' habit): Dagster's grammar has no `|`; the message names the word to write."""
    project = copy_project(DEMO, tmp_path / "demo")
    spec = project / "floe.yaml"
    text = spec.read_text().replace(
        'selection: "group:bronze or group:silver"}', 'selection: "group:bronze | group:silver"}'
    )
    spec.write_text(text)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "group:bronze | group:silver" in ln)
    done = _compile(project)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stderr + done.stdout
    assert "Traceback" not in out, out
    assert (
        f"floe.yaml:{line}: orchestration.jobs.bronze_and_silver.selection:"
        " invalid asset selection 'group:bronze | group:silver':"
    ) in out
    assert (
        "Dagster's selection syntax writes operators as words: 'or' for '|' (got 'group:bronze | group:silver')"
    ) in out
