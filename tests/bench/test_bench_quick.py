"""`make bench` must not rot: run its quick mode end to end (tiny sizes, one pair) and check what it wrote.

Numbers are not asserted (speed is measured by `make bench`, never by tests); the shape of the results is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(2400)  # a few minutes alone; much longer beside the rest of the suite on 2 cores
def test_quick_bench_runs_every_measurement(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BENCH_QUICK": "1",
        "BENCH_WORK": str(tmp_path / "work"),
        "BENCH_RESULTS": str(tmp_path / "results"),
        "BENCH_REPORT": str(tmp_path / "benchmarks.md"),
    }
    done = subprocess.run(
        [sys.executable, "run.py"], cwd=REPO / "bench", env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "results").glob("*.json")}
    assert {
        "load_30",
        "load_60",
        "load_60_with_50_jobs",
        "load_60_with_50_group_jobs",
        "materialize_10",
        "materialize_10_outage",
    } <= set(results)
    load = results["load_60"]["sides"]
    assert len(load["floe"]) and load["floe"]["time_ratio_vs_plain_dagster_dbt"] > 0
    # the first load after `floe compile` (spec cache written) is measured beside the later ones
    assert load["floe_first_load_after_compile"]["time_ratio_vs_plain_dagster_dbt"] > 0
    assert results["load_60"]["pairs"] == 1
    # container workflows: a step vs the bare run (docker when DOCKER_HOST is set, else subprocess), and
    # the load of a 50-job workflow
    step = next(r for name, r in results.items() if name.startswith("workflow_step_"))
    assert step["sides"]["floe_workflow_step"]["time_ratio_vs_bare_" + step["runtime"]] > 0
    assert results["load_50_job_workflow"]["sides"]["floe_50_job_workflow"]["seconds"]["median"] > 0
    latency = results["lineage_latency"]
    assert latency["events"] > 0 and latency["p99_ms"] is not None  # events really reached the receiver
    backfill = results["backfill_10_daily_partitions"]
    assert backfill["days_in_table"] == backfill["days_expected"] == 10
    assert backfill["runs_launched"] >= 1
    outage = results["materialize_10_outage"]["sides"]
    assert {"floe_endpoints_tarpit", "floe_endpoints_closed_port"} <= set(outage)
    # the off samples are shared by both comparisons (one alternation of five sides)
    assert outage["floe_observability_off"] == results["materialize_10"]["sides"]["floe_observability_off"]
    assert all(isinstance(r["met"], bool) for r in results.values())
    report = (tmp_path / "benchmarks.md").read_text()
    assert "| load_60 | floe |" in report
    assert "| materialize_10_outage | tarpit or closed port / off <= 1.10 |" in report
    assert "these numbers mean nothing" in report
