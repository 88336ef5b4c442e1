"""One writer per DuckDB file (floe_dagster.pools, issue 16.10): the steps that write the project's DuckDB
file are in one pool, and with the dagster.yaml `floe init` writes they never run at the same time — in a
real multiprocess run, where they otherwise start together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, build_reconstructable_job, execute_job
from floe_core.scaffold import dagster_yaml_text
from orch_support import compile_project, load_defs, write_project

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent

WRITERS = """
import json, os, time
from pathlib import Path
from dagster import asset
from floe_dagster import DuckDBResource



def _write(name: str, other: str, duckdb: DuckDBResource) -> None:
    MARKS = Path(os.environ["FLOE_TEST_MARKS"])
    MARKS.mkdir(exist_ok=True)
    overlap = (MARKS / f"{other}.start").exists() and not (MARKS / f"{other}.end").exists()
    (MARKS / f"{name}.start").write_text(json.dumps({"overlap": overlap}))
    with duckdb.connect() as conn:
        conn.execute(f"create or replace table {name} as select 1 as x")
        time.sleep(6)  # holds the file: a second writer started now would overlap
    (MARKS / f"{name}.end").write_text("1")


@asset
def writer_a(duckdb: DuckDBResource) -> None:
    _write("writer_a", "writer_b", duckdb)


@asset
def writer_b(duckdb: DuckDBResource) -> None:
    _write("writer_b", "writer_a", duckdb)


@asset
def reader_free() -> int:
    return 1
"""


def test_duckdb_writers_share_a_pool_and_never_overlap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_TEST_MARKS", str(tmp_path / "marks"))
    root = tmp_path / "project"
    write_project(root, "jobs: {writers: {type: batch, keys: [writer_a, writer_b]}}", WRITERS)
    artifacts = compile_project(root)
    defs = load_defs(artifacts)
    graph = defs.resolve_asset_graph()
    pools = {
        key.to_user_string(): graph.get(key).assets_def.node_def.pool  # type: ignore[union-attr]
        for key in graph.get_all_asset_keys()
    }
    assert pools == {"writer_a": "duckdb_warehouse", "writer_b": "duckdb_warehouse", "reader_free": None}

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml_text())  # what `floe init --dagster-home` writes
    marks = tmp_path / "marks"
    monkeypatch.setenv("FLOE_TEST_MARKS", str(marks))
    recon = build_reconstructable_job(
        "asset_jobs", "job_named", (str(artifacts), "writers"), reconstructor_working_directory=str(HERE)
    )
    with (
        DagsterInstance.from_config(str(home)) as instance,
        execute_job(recon, instance=instance, raise_on_error=False) as result,
    ):
        status = result.dagster_run.status
    assert status == DagsterRunStatus.SUCCESS
    starts = {p.stem: json.loads(p.read_text()) for p in marks.glob("*.start")}
    assert starts == {"writer_a": {"overlap": False}, "writer_b": {"overlap": False}}
