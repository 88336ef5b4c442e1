"""Generated DAG files load in Airflow's own DagBag with zero import errors, for every runtime, and each DAG is
the Dagster job of the same workflow: same task ids, same upstream sets; its timetable's first runs are
floe's first windows (logical date = window start, the `ds` render_plan gives)."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from airflow_test_projects import HERE, daily_sales_pipeline, diamond, write_project
from floe_airflow import graph_of, write_dags
from floe_airflow_venv import airflow_env
from floe_core.loader import load_spec
from floe_core.workflows import WorkflowSet, load_workflows, render_plan, windows_between

pytestmark = pytest.mark.slow

IMAGE = "floe-test/busybox:1"
RUNTIMES = {
    "docker": "type: docker\ndocker: {volumes: ['/tmp/out:/out']}",
    "kubernetes": "type: kubernetes\nkubernetes: {namespace: lakehouse-jobs, service_account: floe-jobs}",
    "subprocess": "type: subprocess",
}
OPERATORS = {
    "docker": "FloeDockerOperator",
    "kubernetes": "FloeKubernetesPodOperator",
    "subprocess": "FloeCommandOperator",
}
KEEP_GOING = textwrap.dedent(
    """\
    workflow:
      name: keep_going
      on_failure: continue
      schedule: {interval: 1h, timezone: America/New_York, start_date: "2024-03-09T22:00"}
      jobs:
        - job: {name: first, image: floe-test/busybox:1, command: [/bin/true], resources: {cpu: 500m, memory: 1Gi}}
        - job: {name: second, image: floe-test/busybox:1, command: [/bin/true, "{{ ts }}"]}
          depends_on: [first]
        - job: {name: third, image: floe-test/busybox:1, command: [/bin/true]}
          depends_on: [first]
    """
)


def _workflows(root: Path, runtime: str) -> WorkflowSet:
    config = write_project(
        root,
        runtime,
        {
            "daily_sales_pipeline": daily_sales_pipeline(IMAGE),
            "diamond": diamond(IMAGE),
            "keep_going": KEEP_GOING,
        },
    )
    return load_workflows(load_spec(config), config)


def _dagster_graph(workflows: WorkflowSet, name: str) -> dict[str, list[str]]:
    from floe_dagster.workflows.build import workflow_job

    job = workflow_job(workflows.get(name), workflows.runtime, Path(workflows.root))
    structure = job.graph.dependency_structure
    return {
        node.name: sorted({o.node.name for o in structure.all_upstream_outputs_from_node(node.name)})
        for node in job.graph.nodes
    }


def _dump(airflow_bin: Path, tmp_path: Path, folders: list[Path]) -> dict[str, Any]:
    done = subprocess.run(
        [str(airflow_bin / "python"), str(HERE / "dagbag_dump.py"), *map(str, folders)],
        env=airflow_env(tmp_path / "airflow_home", folders[0]),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_every_generated_dag_loads_and_is_the_dagster_job_graph(airflow_bin: Path, tmp_path: Path) -> None:
    folders: dict[str, tuple[Path, WorkflowSet]] = {}
    for runtime, settings in RUNTIMES.items():
        workflows = _workflows(tmp_path / runtime, settings)
        written = write_dags(workflows, workflows.names(), tmp_path / runtime / "dags")
        assert sorted(p.name for p in written) == [
            "floe_daily_sales_pipeline.py",
            "floe_diamond.py",
            "floe_keep_going.py",
        ]
        folders[runtime] = (tmp_path / runtime / "dags", workflows)

    dumped = _dump(airflow_bin, tmp_path, [folder for folder, _ in folders.values()])

    for runtime, (folder, workflows) in folders.items():
        bag = dumped[str(folder)]
        assert bag["import_errors"] == {}, f"{runtime}: {bag['import_errors']}"
        assert sorted(bag["dags"]) == workflows.names()
        for name in workflows.names():
            dag = bag["dags"][name]
            dagster = _dagster_graph(workflows, name)
            assert dag["tasks"] == dagster, f"{runtime} {name}: Airflow {dag['tasks']} != Dagster {dagster}"
            assert dag["tasks"] == graph_of(workflows.get(name).spec)
            jobs = [e.name for e in workflows.get(name).spec.jobs]
            assert {dag["operators"][j] for j in jobs} == {OPERATORS[runtime]}
        assert bag["dags"]["diamond"]["retries"]["job_d"] == 2  # max_attempts 3
        assert bag["dags"]["keep_going"]["operators"]["keep_going__outcome"] == "EmptyOperator"


def test_the_timetable_runs_floes_windows_with_the_same_ds(airflow_bin: Path, tmp_path: Path) -> None:
    workflows = _workflows(tmp_path / "project", RUNTIMES["docker"])
    folder = tmp_path / "dags"
    write_dags(workflows, workflows.names(), folder)
    dags = _dump(airflow_bin, tmp_path, [folder])[str(folder)]["dags"]

    assert dags["diamond"]["first_runs"] == []  # manual: schedule=None
    for name in ("daily_sales_pipeline", "keep_going"):
        spec = workflows.get(name).spec
        schedule = spec.windowed_schedule
        assert schedule is not None
        windows = windows_between(schedule, schedule.start, schedule.start + _span(name))
        expected = [[w.start.isoformat(), w.start.isoformat(), w.end.isoformat()] for w in windows[:3]]
        got = [[_instant(t) for t in run] for run in dags[name]["first_runs"]]
        assert got == [[_instant(t) for t in run] for run in expected], name
        for (logical, _, _), window in zip(dags[name]["first_runs"], windows, strict=False):
            ds = render_plan(spec, window)[0].context.ds
            assert _local_day(logical, schedule.timezone) == ds


def _span(name: str) -> Any:
    from datetime import timedelta

    return timedelta(days=4) if name == "daily_sales_pipeline" else timedelta(hours=4)


def _instant(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def _local_day(text: str, timezone: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d")
