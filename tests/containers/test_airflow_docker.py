"""Airflow 3 (its own venv, `make airflow-venv`) runs a DockerOperator DAG against podman's socket with
`airflow dags test`: no scheduler, SQLite in a temporary AIRFLOW_HOME. The groundwork of the portability
test of issue 20: the same test images and job script as the Dagster side."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from docker.models.containers import Container
from floe_airflow_venv import airflow_venv
from floe_containers import ContainerRuntime

pytestmark = [pytest.mark.containers, pytest.mark.slow]

DAG = """\
import os
from datetime import datetime

from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk import DAG
from docker.types import Mount

common = dict(
    image={image!r},
    docker_url=os.environ["DOCKER_HOST"],
    mount_tmp_dir=False,  # the operator's default bind-mounts a host temp dir: not needed
    auto_remove="force",  # remove the container after success and failure alike
    mounts=[Mount(source={out!r}, target="/out", type="bind")],
    labels={labels!r},
    retries=0,
)
with DAG("floe_docker_smoke", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
    ok = DockerOperator(
        task_id="ok",
        command=["/usr/local/bin/floe-job", "two words", "{{{{ ds }}}}"],
        environment={{"DS": "{{{{ ds }}}}", "FLOE_JOB_OUT": "/out", "FLOE_JOB_NAME": "ok"}},
        **common,
    )
    bad = DockerOperator(
        task_id="bad",
        command=["/usr/local/bin/floe-job"],
        environment={{"FLOE_JOB_OUT": "/out", "FLOE_JOB_NAME": "bad", "FLOE_JOB_EXIT": "3"}},
        **common,
    )
    ok >> bad
"""


def airflow(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(airflow_venv() / "airflow"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_airflow_dags_test_runs_docker_operator_on_podman(
    runtime: ContainerRuntime,
    busybox_image: str,
    tmp_path: Path,
    label: dict[str, str],
    labelled: Callable[[], list[Container]],
) -> None:
    airflow_venv()  # `make airflow-venv` when needed; skips locally / fails under CI=true if it cannot
    out = tmp_path / "out"
    dags = tmp_path / "dags"
    out.mkdir()
    dags.mkdir()
    (dags / "floe_docker_smoke.py").write_text(DAG.format(image=busybox_image, out=str(out), labels=label))
    env = {
        **os.environ,
        **runtime.env(),
        "AIRFLOW_HOME": str(tmp_path / "airflow_home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    migrated = airflow(["db", "migrate"], env)
    assert migrated.returncode == 0, migrated.stderr[-3000:]

    ran = airflow(["dags", "test", "floe_docker_smoke", "2024-01-31"], env)
    log = ran.stdout + ran.stderr

    assert ran.returncode == 1, log[-3000:]  # the run failed: `bad` exited 3
    assert "Docker container failed: {'StatusCode': 3, 'Error': None}" in log
    results = {r["job"]: r for r in (json.loads(p.read_text()) for p in out.glob("*.json"))}
    assert set(results) == {"ok", "bad"}  # `bad` ran: `ok` succeeded first
    assert results["ok"]["argv"] == ["two words", "2024-01-31"]  # Airflow's own {{ ds }}: the logical date
    assert results["ok"]["env"] == {"DS": "2024-01-31", "FLOE_JOB_OUT": "/out", "FLOE_JOB_NAME": "ok"}
    assert (results["ok"]["exit"], results["bad"]["exit"]) == (0, 3)
    assert '"argv": ["two words", "2024-01-31"]' in log  # the container's stdout is in the task log
    assert labelled() == []  # auto_remove="force": nothing left behind, failed container included
