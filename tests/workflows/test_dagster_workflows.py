"""Container workflows on Dagster with the subprocess runtime (floe_dagster.workflows): the contract's §4.2
example and §8.1 diamond run for real, with what each process received checked against render_plan."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    build_reconstructable_job,
    execute_job,
)
from floe_core.workflows import load_workflows, render_plan
from floe_dagster.orchestration.jobs import WORKFLOW_SOURCE_TAG, WORKFLOW_TAG

HERE = Path(__file__).parent
pytestmark = pytest.mark.slow
PY = sys.executable

FLOE_YAML = """\
name: wfdemo
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb, properties: {path: wf.duckdb}}
workflows:
  path: workflows
  runtime: {type: subprocess}
"""


def _job(name: str, *behaviour: str, params: str = "", retry: str = "") -> str:
    argv = ", ".join(json.dumps(a) for a in ["{{ params.out }}", name, *behaviour])
    return textwrap.dedent(
        f"""\
        name: {name}
        image: floe-test/python:3.11
        command: [{json.dumps(PY)}, {json.dumps(str(HERE / "record_job.py"))}]
        args: [{argv}]
        params: {{out: "OUT", execution_date: "{{{{ ds }}}}"{params}}}
        {retry}
        """
    )


def _workflow(name: str, jobs: list[tuple[str, list[str]]], bodies: dict[str, str], extra: str = "") -> str:
    lines = [f"workflow:\n  name: {name}\n{extra}  jobs:"]
    for job, deps in jobs:
        lines.append(
            "    - job:\n"
            + textwrap.indent(bodies[job], "        ")
            + f"      depends_on: {json.dumps(deps)}"
        )
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    out = tmp_path / "out"
    (root / "workflows").mkdir(parents=True)
    (root / "floe.yaml").write_text(FLOE_YAML)

    def write(name: str, text: str) -> None:
        folder = root / "workflows" / name
        folder.mkdir()
        (folder / "workflow.yaml").write_text(text.replace('"OUT"', json.dumps(str(out / name))))

    daily = '  schedule: {cron: "0 2 * * *", timezone: UTC, start_date: "2024-01-01"}\n'
    write(
        "daily_sales_pipeline",
        _workflow(
            "daily_sales_pipeline",
            [
                ("extract_sales", []),
                ("transform_sales", ["extract_sales"]),
                ("generate_report", ["transform_sales"]),
            ],
            {
                "extract_sales": _job("extract_sales", params=', source: "sales_db"'),
                "transform_sales": _job(
                    "transform_sales",
                    params=', input_table: "raw.sales", output_table: "iceberg.sales.orders"',
                ),
                "generate_report": _job("generate_report", params=', table: "iceberg.sales.orders"'),
            },
            daily,
        ),
    )
    write(
        "diamond",
        _workflow(
            "diamond",
            [("job_a", []), ("job_b", ["job_a"]), ("job_c", ["job_a"]), ("job_d", ["job_b", "job_c"])],
            {
                "job_a": _job("job_a"),
                "job_b": _job("job_b", "meet:job_c"),
                "job_c": _job("job_c", "meet:job_b"),
                "job_d": _job("job_d"),
            },
        ),
    )
    retry = (
        "retry: {max_attempts: 3, delay: 1s, exponential_backoff: true, backoff_multiplier: 3, max_delay: 2s}"
    )
    for policy in ("stop_downstream", "continue"):
        write(
            f"flaky_{policy}",
            _workflow(
                f"flaky_{policy}",
                [("first", []), ("flaky", ["first"]), ("broken", ["first"]), ("after", ["broken"])],
                {
                    "first": _job("first"),
                    "flaky": _job("flaky", "fail-until:3", retry=retry),
                    "broken": _job("broken", "fail"),
                    "after": _job("after"),
                },
                f"  on_failure: {policy}\n",
            ),
        )
    return root


def _definitions(project: Path) -> Definitions:
    from floe_core.compiler import compile_project
    from floe_dagster import FloeDefinitions
    from floe_dbt.compile_step import run as floe_dbt_step

    compile_project(project / "floe.yaml", steps={"dbt": floe_dbt_step})
    return FloeDefinitions.from_compiled_artifacts(project / ".floe" / "compiled_artifacts.json")


def _ran(out: Path) -> list[dict[str, Any]]:
    path = out / "ran.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _execute(project: Path, job: str, instance: DagsterInstance, **kwargs: Any) -> tuple[Any, list[Any]]:
    """A real run with the multiprocess executor (each op in its own process), as the daemon launches it."""
    artifacts = str(project / ".floe" / "compiled_artifacts.json")
    recon = build_reconstructable_job(
        "workflow_jobs", "workflow_job", (artifacts, job), reconstructor_working_directory=str(HERE)
    )
    with execute_job(recon, instance=instance, raise_on_error=False, **kwargs) as result:
        return result.dagster_run, list(result.all_events)


def test_a_scheduled_workflow_is_a_partitioned_job_with_a_schedule(project: Path) -> None:
    defs = _definitions(project)
    job = defs.resolve_job_def("daily_sales_pipeline")
    assert job.tags[WORKFLOW_TAG] == "daily_sales_pipeline" and job.tags[WORKFLOW_SOURCE_TAG] == "code"
    assert job.partitions_def is not None
    assert job.partitions_def.get_partition_keys()[:2] == ["2024-01-01", "2024-01-02"]
    schedule = defs.resolve_schedule_def("daily_sales_pipeline_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert sorted(n.name for n in job.graph.nodes) == ["extract_sales", "generate_report", "transform_sales"]
    diamond = defs.resolve_job_def("diamond")
    deps = {
        n: sorted(i.node.name for i in diamond.graph.dependency_structure.all_upstream_outputs_from_node(n))
        for n in ("job_a", "job_b", "job_c", "job_d")
    }
    assert deps == {"job_a": [], "job_b": ["job_a"], "job_c": ["job_a"], "job_d": ["job_b", "job_c"]}
    assert diamond.partitions_def is None  # manual only: no schedule


@pytest.fixture
def instance(tmp_path: Path) -> Any:
    home = tmp_path / "dagster_home"
    home.mkdir()
    with DagsterInstance.local_temp(str(home)) as inst:
        yield inst


def test_the_4_2_example_runs_its_plan_for_the_partition(project: Path, instance: DagsterInstance) -> None:
    _definitions(project)
    run, _ = _execute(project, "daily_sales_pipeline", instance, tags={"dagster/partition": "2024-03-05"})
    assert run.status == DagsterRunStatus.SUCCESS
    ran = _ran(project.parent / "out" / "daily_sales_pipeline")
    assert [r["job"] for r in ran] == ["extract_sales", "transform_sales", "generate_report"]
    # exactly what render_plan gives for that window: argv and the params as env
    from floe_core.loader import load_spec

    workflows = load_workflows(load_spec(project / "floe.yaml"), project / "floe.yaml")
    from floe_core.workflows import window_for_partition_key

    workflow = workflows.get("daily_sales_pipeline").spec
    assert workflow.windowed_schedule is not None
    plan = render_plan(workflow, window_for_partition_key(workflow.windowed_schedule, "2024-03-05"))
    for record, invocation in zip(ran, plan, strict=True):
        assert [PY, str(HERE / "record_job.py"), *record["argv"]] == invocation.argv
        assert {k: record["env"].get(k) for k in invocation.env} == invocation.display_env()
        assert record["env"]["EXECUTION_DATE"] == "2024-03-05"
    assert ran[0]["env"]["SOURCE"] == "sales_db"


def test_the_diamond_runs_its_branches_at_the_same_time(project: Path, instance: DagsterInstance) -> None:
    _definitions(project)
    run, events = _execute(project, "diamond", instance, tags={"floe/date": "2024-05-01"})
    assert run.status == DagsterRunStatus.SUCCESS, [e.message for e in events if e.is_failure]
    order = [r["job"] for r in _ran(project.parent / "out" / "diamond")]
    assert order[0] == "job_a" and order[-1] == "job_d" and sorted(order[1:3]) == ["job_b", "job_c"]
    # job_b and job_c each waited for the other to start (record_job.py meet:): they ran concurrently
    resolved = [
        line
        for line in _json_logs(instance, run.run_id)
        if line["status"] == "dependencies_resolved" and line["job"] == "job_d"
    ]
    assert resolved and resolved[0]["upstream"] == ["job_b", "job_c"]
    assert resolved[0]["execution_date"].startswith("2024-05-01")


def _json_logs(instance: DagsterInstance, run_id: str) -> list[dict[str, Any]]:
    """The contract's JSON log lines (§10.2) as the run's log shows them."""
    return [
        json.loads(entry.user_message)
        for entry in instance.all_logs(run_id)
        if entry.user_message.startswith('{"timestamp"')
    ]


def _retry_waits(events: list[Any], step: str) -> list[float]:
    return [
        e.event_specific_data.seconds_to_wait
        for e in events
        if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY and e.step_key == step
    ]


def test_a_failing_job_is_retried_with_the_spec_backoff_and_stops_its_downstream(
    project: Path, instance: DagsterInstance
) -> None:
    _definitions(project)
    run, events = _execute(project, "flaky_stop_downstream", instance, tags={"floe/date": "2024-05-01"})
    assert run.status == DagsterRunStatus.FAILURE
    assert _retry_waits(events, "flaky") == [1.0, 2.0]  # delay 1s * 3 ** n, capped at 2s
    assert sorted(r["job"] for r in _ran(project.parent / "out" / "flaky_stop_downstream")) == [
        "first",
        "flaky",
    ]
    failure = next(
        e for e in events if e.event_type == DagsterEventType.STEP_FAILURE and e.step_key == "broken"
    )
    assert "code 3" in failure.event_specific_data.error.message  # the exit code in the message
    started = {e.step_key for e in events if e.event_type == DagsterEventType.STEP_START}
    assert "after" not in started and {"first", "flaky", "broken"} <= started  # broken's dependent never ran
    logs = _json_logs(instance, run.run_id)
    retries = [
        (line["job"], line["attempt"], line["wait_seconds"]) for line in logs if line["status"] == "retrying"
    ]
    assert retries == [("flaky", 1, 1.0), ("flaky", 2, 2.0)]


def test_continue_runs_the_dependents_and_still_fails_the_run(
    project: Path, instance: DagsterInstance
) -> None:
    _definitions(project)
    run, events = _execute(project, "flaky_continue", instance, tags={"floe/date": "2024-05-01"})
    assert run.status == DagsterRunStatus.FAILURE
    assert sorted(r["job"] for r in _ran(project.parent / "out" / "flaky_continue")) == [
        "after",
        "first",
        "flaky",
    ]
    outcome = next(e for e in events if e.event_type == DagsterEventType.STEP_FAILURE)
    assert outcome.step_key == "flaky_continue__outcome"
    assert "job(s) failed: broken" in outcome.event_specific_data.error.message


def test_workflows_registered_through_the_api_become_jobs_and_code_wins(project: Path) -> None:
    """The workflow API's folder store (floe_core.workflows.manual_store) is read at load: MANUAL workflows
    become jobs tagged floe/workflow_source=manual; a MANUAL one named like a CODE one is ignored."""
    from floe_core.workflows.manual_store import save_manual_workflow

    store = project / ".floe" / "workflows"
    save_manual_workflow(
        store,
        "registered",
        'workflow:\n  name: registered\n  jobs: [{job: {name: a, image: x/a:1, command: ["true"]}}]\n',
    )
    save_manual_workflow(
        store,
        "diamond",
        'workflow:\n  name: diamond\n  jobs: [{job: {name: z, image: x/z:1, command: ["true"]}}]\n',
    )
    defs = _definitions(project)
    registered = defs.resolve_job_def("registered")
    assert registered.tags[WORKFLOW_SOURCE_TAG] == "manual"
    diamond = defs.resolve_job_def("diamond")
    assert diamond.tags[WORKFLOW_SOURCE_TAG] == "code" and "z" not in {n.name for n in diamond.graph.nodes}
