"""The runtimes of floe_airflow.runtime beyond docker (tests/airflow/test_portability.py): the kubernetes pod
a job would get (built by the provider itself, no cluster), and the subprocess runtime with a failure
notification run for real by `airflow dags test` (a loopback webhook receives it)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from airflow_test_projects import HERE, write_project
from floe_airflow import write_dags
from floe_airflow_venv import airflow_env
from floe_core.loader import load_spec
from floe_core.workflows import load_workflows, render_plan

pytestmark = pytest.mark.slow

PODDED = """\
workflow:
  name: podded
  schedule: {cron: "0 2 * * *", start_date: "2024-01-01"}
  jobs:
    - job:
        name: extract
        image: lakehouse/extract:1.0
        command: [python, extract.py, "--date", "{{ ds }}"]
        params: {source: sales_db}
        env: {TOKEN: {k8s_secret: {name: sales-db, key: token}}, MODE: "{{ params.source }}-{{ ds_nodash }}"}
        resources: {cpu: 500m, memory: 2Gi}
        retry: {max_attempts: 2, delay: 10s}
"""


def test_a_kubernetes_job_is_the_plans_pod_with_resources_as_requests_and_limits(
    airflow_bin: Path, tmp_path: Path
) -> None:
    config = write_project(
        tmp_path / "project",
        "type: kubernetes\nkubernetes: {namespace: lakehouse-jobs, service_account: floe-jobs}",
        {"podded": PODDED},
    )
    workflows = load_workflows(load_spec(config), config)
    (path,) = write_dags(workflows, ["podded"], tmp_path / "dags")
    done = subprocess.run(
        [
            str(airflow_bin / "python"),
            str(HERE / "pod_spec.py"),
            str(path),
            "extract",
            "2024-01-02T02:00:00+00:00",
        ],
        env=airflow_env(tmp_path / "home", tmp_path / "dags"),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pod = json.loads(done.stdout.strip().splitlines()[-1])
    (invocation,) = render_plan(workflows.get("podded").spec, date(2024, 1, 2))
    assert (pod["namespace"], pod["service_account"]) == ("lakehouse-jobs", "floe-jobs")
    assert pod["image"] == invocation.image == "lakehouse/extract:1.0"
    assert (
        [*pod["command"], *pod["args"]] == invocation.argv == ["python", "extract.py", "--date", "2024-01-02"]
    )
    env = {e["name"]: e["value"] for e in pod["env"]}
    assert env == {"TOKEN": None, "MODE": "sales_db-20240102", "SOURCE": "sales_db"}
    token = next(e for e in pod["env"] if e["name"] == "TOKEN")
    assert token["value_from"]["secret_key_ref"] == {"name": "sales-db", "key": "token", "optional": None}
    quantities = {"cpu": "500m", "memory": "2Gi"}
    assert pod["resources"]["requests"] == quantities and pod["resources"]["limits"] == quantities
    assert pod["retries"] == 1


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_the_subprocess_runtime_runs_argv_and_a_final_failure_is_notified(
    airflow_bin: Path, tmp_path: Path, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    out = tmp_path / "out"
    out.mkdir()
    record = (
        "import json, os, sys; open(os.path.join(sys.argv[1], os.environ['JOB'] + '.json'), 'w')"
        ".write(json.dumps({'argv': sys.argv[2:], 'region': os.environ['REGION']})); sys.exit(int(os.environ['CODE']))"
    )
    spec = textwrap.dedent(
        f"""\
        workflow:
          name: local_cmds
          notifications:
            on_failure: [{{type: webhook, url: "{url}"}}]
          jobs:
            - job:
                name: first
                image: unused/image:1
                command: ["{sys.executable}", "-c", "{record}", "{out}", "{{{{ ds }}}}", "two words"]
                params: {{region: eu}}
                env: {{JOB: first, CODE: "0"}}
            - job:
                name: second
                image: unused/image:1
                command: ["{sys.executable}", "-c", "{record}", "{out}", "{{{{ params.region }}}}"]
                params: {{region: us}}
                env: {{JOB: second, CODE: "4"}}
              depends_on: [first]
        """
    )
    config = write_project(tmp_path / "project", "type: subprocess", {"local_cmds": spec})
    workflows = load_workflows(load_spec(config), config)
    write_dags(workflows, ["local_cmds"], tmp_path / "dags")
    env = airflow_env(tmp_path / "home", tmp_path / "dags")
    migrated = subprocess.run(
        [str(airflow_bin / "airflow"), "db", "migrate"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    ran = subprocess.run(
        [str(airflow_bin / "airflow"), "dags", "test", "local_cmds", "2024-03-05"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    log = ran.stdout + ran.stderr
    assert ran.returncode == 1, log[-3000:]
    assert json.loads((out / "first.json").read_text()) == {
        "argv": ["2024-03-05", "two words"],
        "region": "eu",
    }
    assert json.loads((out / "second.json").read_text()) == {"argv": ["us"], "region": "us"}
    assert "job second failed: command exited with code 4" in log
    assert len(received) == 1, log[-3000:]
    body = received[0]["body"]
    assert received[0]["path"] == "/hook"
    assert (body["event"], body["workflow"], body["failed_jobs"]) == (
        "workflow_failed",
        "local_cmds",
        ["second"],
    )
    assert "command exited with code 4" in body["errors"][0]
    assert body["execution_date"].startswith("2024-03-05")
