"""Contract §14.2, portability validation: the same workflow specs run on Airflow (`airflow dags test` on the
DAG files `floe airflow render` wrote, no scheduler) and on Dagster (the workflow job, multiprocess executor),
both on podman containers, for the same date. What every container received — image, argv, env — and what
it wrote is identical on both, and equal to floe's render_plan; the failing job is retried on both with the
same delays (floe's RetryPolicy.delays(): the attempt records, not the clock)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from airflow_test_projects import WORKFLOW_JOBS, daily_sales_pipeline, diamond, write_project
from floe_airflow import write_dags
from floe_airflow_venv import airflow_env
from floe_containers import BUSYBOX_IMAGE, ContainerRuntime, container_runtime, ensure_image
from floe_core.loader import load_spec
from floe_core.workflows import load_workflows, render_plan, window_for_partition_key

# one worker runs both tests: they share the module-scoped runs of both orchestrators
pytestmark = [pytest.mark.containers, pytest.mark.slow, pytest.mark.xdist_group("airflow_portability")]

DAY = "2024-01-02"  # daily_sales_pipeline: the window starting 2024-01-02 02:00 UTC; diamond: manual at 00:00
RUN_ID = re.compile(r"manual__\d{4}-\d\d-\d\dT[\d:.]+\+00:00")
RETRY = re.compile(r"floe: attempt (\d+) failed; attempt \d+ in ([\d.]+) s")


@pytest.fixture(scope="module")
def runtime() -> ContainerRuntime:
    return container_runtime()


@pytest.fixture(scope="module")
def image(runtime: ContainerRuntime) -> str:
    return ensure_image(BUSYBOX_IMAGE)


def _project(root: Path, runtime: ContainerRuntime, image: str) -> tuple[Path, Path]:
    out = root / "out"
    out.mkdir(parents=True)
    out.chmod(0o777)
    settings = f'type: docker\ndocker: {{docker_host: "{runtime.docker_host}", volumes: ["{out}:/out"]}}'
    config = write_project(
        root / "project",
        settings,
        {"daily_sales_pipeline": daily_sales_pipeline(image), "diamond": diamond(image)},
    )
    return config, out


def _reports(out: Path) -> list[dict[str, Any]]:
    """What each container received and wrote (floe-job's report), without its timestamps, sorted."""
    reports = []
    for path in out.glob("*.json"):
        report = json.loads(path.read_text())
        reports.append({k: report[k] for k in ("job", "argv", "env", "exit")})
    return sorted(reports, key=lambda r: (r["job"], json.dumps(r)))


def _images(runtime: ContainerRuntime, run_id: str) -> list[tuple[str, str]]:
    """(job, image) of every container podman created for the run (its labels floe.run_id / floe.job)."""
    done = subprocess.run(
        [
            "podman",
            "events",
            "--since",
            "30m",
            "--stream=false",
            "--filter",
            "event=create",
            "--format",
            "json",
        ],
        env={**os.environ, **runtime.podman_env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return sorted(
        (e["Attributes"]["floe.job"], e["Image"])
        for e in events
        if e.get("Attributes", {}).get("floe.run_id") == run_id
    )


# -- Airflow ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def airflow_side(
    airflow_bin: Path, tmp_path_factory: pytest.TempPathFactory, runtime: ContainerRuntime, image: str
) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("airflow")
    config, out = _project(root, runtime, image)
    workflows = load_workflows(load_spec(config), config)
    dags = root / "dags"
    write_dags(workflows, workflows.names(), dags)
    env = {**airflow_env(root / "home", dags), **runtime.env()}

    def airflow(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(airflow_bin / "airflow"), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )

    migrated = airflow("db", "migrate")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    runs: dict[str, Any] = {}
    for name, logical_date in (("daily_sales_pipeline", f"{DAY}T02:00:00+00:00"), ("diamond", DAY)):
        for stale in out.glob("*.json"):
            stale.unlink()
        ran = airflow("dags", "test", name, logical_date)
        log = ran.stdout + ran.stderr
        found = RUN_ID.search(log)
        assert found, log[-3000:]
        runs[name] = {
            "returncode": ran.returncode,
            "log": log,
            "reports": _reports(out),
            "images": _images(runtime, found.group(0)),
            "waits": [float(w) for _, w in RETRY.findall(log)],
        }
    return runs


# -- Dagster ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dagster_side(
    tmp_path_factory: pytest.TempPathFactory, runtime: ContainerRuntime, image: str
) -> dict[str, Any]:
    from dagster import (
        DagsterEventType,
        DagsterInstance,
        DagsterRunStatus,
        build_reconstructable_job,
        execute_job,
    )
    from floe_core.compiler import compile_project
    from floe_dbt.compile_step import run as floe_dbt_step

    root = tmp_path_factory.mktemp("dagster")
    config, out = _project(root, runtime, image)
    compile_project(config, steps={"dbt": floe_dbt_step})
    artifacts = str(config.parent / ".floe" / "compiled_artifacts.json")
    home = root / "dagster_home"
    home.mkdir()
    runs: dict[str, Any] = {}
    with DagsterInstance.local_temp(str(home)) as instance:
        for name, tags in (
            ("daily_sales_pipeline", {"dagster/partition": DAY}),
            ("diamond", {"floe/date": DAY}),
        ):
            for stale in out.glob("*.json"):
                stale.unlink()
            recon = build_reconstructable_job(
                "workflow_jobs",
                "workflow_job",
                (artifacts, name),
                reconstructor_working_directory=str(WORKFLOW_JOBS),
            )
            with execute_job(recon, instance=instance, raise_on_error=False, tags=tags) as result:
                events = list(result.all_events)
                runs[name] = {
                    "success": result.dagster_run.status == DagsterRunStatus.SUCCESS,
                    "reports": _reports(out),
                    "images": _images(runtime, result.run_id),
                    "waits": [
                        e.event_specific_data.seconds_to_wait
                        for e in events
                        if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY
                    ],
                }
    return runs


def test_the_4_2_example_runs_the_same_containers_on_airflow_and_dagster(
    airflow_side: dict[str, Any],
    dagster_side: dict[str, Any],
    image: str,
    tmp_path: Path,
    runtime: ContainerRuntime,
) -> None:
    airflow, dagster = airflow_side["daily_sales_pipeline"], dagster_side["daily_sales_pipeline"]
    assert airflow["returncode"] == 0, airflow["log"][-3000:]
    assert dagster["success"]
    assert airflow["reports"] == dagster["reports"]
    assert airflow["images"] == dagster["images"]
    assert [job for job, _ in airflow["images"]] == ["extract_sales", "generate_report", "transform_sales"]
    assert {img.removeprefix("localhost/") for _, img in airflow["images"]} == {image}

    # both equal floe's plan for the window starting 2024-01-02 02:00 UTC (ds = the window start)
    config, _ = _project(tmp_path, runtime, image)
    spec = load_workflows(load_spec(config), config).get("daily_sales_pipeline").spec
    assert spec.windowed_schedule is not None
    plan = render_plan(spec, window_for_partition_key(spec.windowed_schedule, DAY))
    expected = sorted(
        ({"job": i.job, "argv": i.argv[1:], "env": i.display_env(), "exit": 0} for i in plan),
        key=lambda r: (r["job"], json.dumps(r)),
    )
    assert airflow["reports"] == expected
    extract = next(r for r in airflow["reports"] if r["job"] == "extract_sales")
    assert extract["argv"] == ["--date", DAY, "--next", "2024-01-03T02:00:00+00:00"]
    assert extract["env"]["EXECUTION_DATE"] == DAY and extract["env"]["SOURCE"] == "sales_db"


def test_the_diamond_runs_and_retries_the_same_on_airflow_and_dagster(
    airflow_side: dict[str, Any], dagster_side: dict[str, Any], image: str
) -> None:
    airflow, dagster = airflow_side["diamond"], dagster_side["diamond"]
    assert airflow["returncode"] == 1, airflow["log"][-3000:]  # job_d fails for good on both
    assert not dagster["success"]
    assert airflow["reports"] == dagster["reports"]
    assert airflow["images"] == dagster["images"]
    jobs = [r["job"] for r in airflow["reports"]]
    assert jobs == ["job_a", "job_b", "job_c", "job_d", "job_d", "job_d"]  # 3 attempts of job_d
    job_d = [r for r in airflow["reports"] if r["job"] == "job_d"]
    assert {r["exit"] for r in job_d} == {3}
    assert job_d[0]["argv"] == ["--at", f"{DAY}T00:00:00+00:00", "two words"]
    job_b = next(r for r in airflow["reports"] if r["job"] == "job_b")
    assert job_b["env"] == {"FLOE_JOB_NAME": "job_b", "FLOE_JOB_OUT": "/out", "BRANCH": "left"}
    # the same waits, floe's delays: 1 s, then 1 s * 3
    assert airflow["waits"] == dagster["waits"] == [1.0, 3.0]
