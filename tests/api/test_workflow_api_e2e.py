"""End to end under a real `dagster dev` (webserver + daemon): the workflow API served by uvicorn and every
`floe workflow` verb through the CLI, on floe.yaml jobs (CODE workflows), with SQLite and PostgreSQL.

MANUAL workflows: `register` stores the YAML where the code location reads it (`.floe/workflows`), reloads
the code location and answers 201 once Dagster has the job; the workflow then runs (subprocess runtime),
backfills 7 dates one at a time (`parallel=false`, serialised by the instance's run queue) and is
unregistered (the job leaves Dagster)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "orchestration"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from dev_server import DevServer, dagster_dev
from floe_api.settings import Settings
from floe_api_server import served_api
from orch_support import compile_project, write_project

pytestmark = pytest.mark.slow
FLOE = str(Path(sys.executable).with_name("floe"))
T = TypeVar("T")

ASSETS = """
import time

from dagster import asset


@asset(group_name="quick")
def quick() -> int:
    return 1


@asset(group_name="slow")
def slow() -> None:
    time.sleep(600)
"""
ORCHESTRATION = """
jobs:
  report_job: {type: batch, groups: [quick]}
  slow_job: {type: batch, groups: [slow]}
schedules:
  nightly: {job: report_job, cron: "0 5 * * *"}
"""
SCHEDULES = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  schedules { name scheduleState { status } } } } } }"""
MANUAL = (
    'workflow:\n  name: manual_wf\n  schedule: {cron: "0 2 * * *", start_date: "2024-01-01"}\n'
    '  jobs: [{job: {name: a, image: lakehouse/a:1, command: ["echo", "{{ ds }}"]}}]\n'
)
SERIAL_QUEUE = """run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    tag_concurrency_limits:
      - {key: floe/backfill_serial, value: {applyLimitPerUniqueValue: true}, limit: 1}
"""
REPOS = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename ... on LaunchRunSuccess { run { runId } } } }"""
JOBS = """{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }"""
RUN_TIMES = "query($id: ID!) { runOrError(runId: $id) { ... on Run { startTime endTime } } }"


def poll(what: str, probe: Callable[[], T | None], timeout: float = 240) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


class Api:
    def __init__(self, url: str, token: str, cwd: Path) -> None:
        self.env = {**os.environ, "FLOE_API_URL": url, "FLOE_API_TOKEN": token}
        self.cwd = cwd

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FLOE, "workflow", *args],
            check=False,
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def json(self, *args: str) -> Any:
        done = self.cli(*args, "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def dagster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevServer, Path]]:
    root = tmp_path_factory.mktemp("api_e2e")
    project = root / "project"
    write_project(project, ORCHESTRATION, ASSETS)
    with (project / "floe.yaml").open("a", encoding="utf-8") as spec:  # MANUAL workflows run as processes
        spec.write("workflows:\n  runtime: {type: subprocess}\n")
    compile_project(project)
    (project / "definitions.py").write_text(
        "from floe_dagster import FloeDefinitions\n\ndefs = FloeDefinitions.from_compiled_artifacts()\n"
    )
    with dagster_dev(project, "definitions.py", root / "dagster_home", {}, SERIAL_QUEUE) as dev:
        dev.wait_for("the jobs", lambda: _jobs_loaded(dev), 300)
        yield dev, project


def _jobs_loaded(dev: DevServer) -> bool | None:
    nodes = dev.graphql(SCHEDULES)["repositoriesOrError"].get("nodes") or []
    return True if any(s["name"] == "nightly" for n in nodes for s in n["schedules"]) else None


def schedule_status(dev: DevServer) -> str:
    nodes = dev.graphql(SCHEDULES)["repositoriesOrError"]["nodes"]
    return next(s["scheduleState"]["status"] for n in nodes for s in n["schedules"] if s["name"] == "nightly")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(
    request: pytest.FixtureRequest, dagster: tuple[DevServer, Path], tmp_path: Path
) -> Iterator[tuple[Api, Settings]]:
    dev, project = dagster
    url = (
        f"sqlite:///{tmp_path / 'api.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    settings = Settings(
        database_url=url,
        dagster_url=f"http://127.0.0.1:{dev.port}",
        store=project / ".floe" / "workflows",  # where the code location reads MANUAL workflows
        reload_timeout=180,  # a hang guard: register answers as soon as Dagster has the job
    )
    with served_api(settings) as (url, app):
        token = app.state.service.registry.create_token("admin@example.com", "admin")
        yield Api(url, token, project), settings


def test_every_verb_against_dagster_dev(api: tuple[Api, Settings], dagster: tuple[DevServer, Path]) -> None:
    cli, settings = api
    listed = {w["dataset_name"]: w for w in cli.json("list")}
    assert listed["report_job"]["source_type"] == "CODE"
    assert listed["report_job"]["schedule"]["cron"] == "0 5 * * *"
    assert set(listed) >= {"report_job", "slow_job"}

    # run -> status to SUCCESS, with progress and the Dagster UI link
    run = cli.json("run", "report_job", "--param", "region=eu")
    assert run["status"] == "PENDING" and run["params"] == {"region": "eu"}
    done = poll(
        "SUCCESS", lambda: ((s := cli.json("status", run["run_id"]))["status"] == "SUCCESS" and s) or None
    )
    assert done["progress"]["total_tasks"] == done["progress"]["completed_tasks"] >= 1
    assert done["logs_url"].endswith(f"/runs/{run['run_id']}")
    table = cli.cli("status", run["run_id"])
    assert table.returncode == 0 and "SUCCESS" in table.stdout and "RUN_ID" in table.stdout
    # a run launched in Dagster itself (as the UI or a schedule does) is in the history too
    dev, _ = dagster
    (repo,) = dev.graphql(REPOS)["repositoriesOrError"]["nodes"]
    direct = dev.graphql(
        LAUNCH,
        {
            "p": {
                "selector": {
                    "repositoryLocationName": repo["location"]["name"],
                    "repositoryName": repo["name"],
                    "jobName": "report_job",
                }
            }
        },
    )["launchRun"]["run"]["runId"]
    history = {h["run_id"]: h for h in cli.json("history", "--name", "report_job")}
    assert (history[run["run_id"]]["triggered_by"], history[run["run_id"]]["run_type"]) == (
        "admin@example.com",
        "manual",
    )
    assert history[direct]["triggered_by"] == "dagster" and history[direct]["dataset_name"] == "report_job"

    # stop a long run: STOPPING -> STOPPED
    slow = cli.json("run", "slow_job")
    poll("RUNNING", lambda: cli.json("status", slow["run_id"])["status"] == "RUNNING" or None)
    stopped = cli.json("stop", slow["run_id"], "--reason", "test")
    assert stopped["status"] in ("STOPPING", "STOPPED") and stopped["reason"] == "test"
    poll("STOPPED", lambda: cli.json("status", slow["run_id"])["status"] == "STOPPED" or None)

    # CODE workflows: no unregister, no register over them (403, exit code 4)
    refused = cli.cli("unregister", "report_job")
    assert refused.returncode == 4 and "WORKFLOW_PERMISSION_DENIED" in refused.stderr
    spec = Path(settings.store).parent.parent / "report_job.yaml"
    spec.write_text(MANUAL.replace("manual_wf", "report_job"))
    refused = cli.cli("register", "report_job", str(spec), "--owner", "o@x")
    assert refused.returncode == 4 and "WORKFLOW_PERMISSION_DENIED" in refused.stderr

    # errors: unknown run (5), unknown workflow (5), bad cron (3)
    assert cli.cli("status", "00000000-0000-0000-0000-000000000000").returncode == 5
    assert cli.cli("run", "nope").returncode == 5
    manual = Path(settings.store).parent.parent / "manual_wf.yaml"
    manual.write_text(MANUAL)
    bad = cli.cli("register", "manual_wf", str(manual), "--owner", "o@x", "--cron", "61 * * * *")
    assert bad.returncode == 3 and "INVALID_CRON_EXPRESSION" in bad.stderr


def test_manual_workflow_register_run_backfill_unregister(
    api: tuple[Api, Settings], dagster: tuple[DevServer, Path]
) -> None:
    """Two concurrent registers: exactly one 201 (answered once Dagster has the job) and one 409. The
    MANUAL workflow is listed, runs to SUCCESS, backfills 7 dates one after another, and unregisters."""
    cli, settings = api
    dev, _ = dagster
    body = {"dataset_name": "manual_wf", "owner": "o@x", "yaml_content": MANUAL}
    headers = {"Authorization": f"Bearer {cli.env['FLOE_API_TOKEN']}"}
    codes: list[int] = []
    answers: list[str] = []

    def register() -> None:
        response = httpx.post(
            f"{cli.env['FLOE_API_URL']}/api/v1/workflows/register", json=body, headers=headers, timeout=300
        )
        codes.append(response.status_code)
        answers.append(response.text)

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(codes) == [201, 409], answers
        assert (Path(settings.store) / "manual_wf.yaml").exists()
        assert "manual_wf" in _job_names(dev)  # 201 means Dagster has it
        listed = {w["dataset_name"]: w for w in cli.json("list")}
        assert listed["manual_wf"]["source_type"] == "MANUAL"

        run = cli.json("run", "manual_wf", "--param", "date=2024-01-05")
        _wait_for_success(cli, run["run_id"])

        backfill = cli.json(
            "backfill", "manual_wf", "--start", "2024-02-01", "--end", "2024-02-07", "--sequential"
        )
        assert len(backfill["run_ids"]) == backfill["total_runs"] == 7
        for run_id in backfill["run_ids"]:
            poll(
                "SUCCESS",
                lambda run_id=run_id: cli.json("status", run_id)["status"] == "SUCCESS" or None,
                600,
            )
        times = sorted(
            (t["startTime"], t["endTime"])
            for t in (dev.graphql(RUN_TIMES, {"id": r})["runOrError"] for r in backfill["run_ids"])
        )
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(times))
        history = {h["run_id"]: h for h in cli.json("history", "--name", "manual_wf")}
        assert {history[r]["run_type"] for r in backfill["run_ids"]} == {"backfill"}
    finally:
        removed = cli.cli("unregister", "manual_wf", "--force")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not (Path(settings.store) / "manual_wf.yaml").exists()
    assert "manual_wf" not in {w["dataset_name"] for w in cli.json("list")}
    dev.wait_for("the job to leave Dagster", lambda: ("manual_wf" not in _job_names(dev)) or None, 180)


def _wait_for_success(cli: Api, run_id: str) -> None:
    seen: list[Any] = []

    def succeeded() -> bool | None:
        seen.append(cli.json("status", run_id))
        assert seen[-1]["status"] not in ("FAILED", "STOPPED"), seen[-1]
        return seen[-1]["status"] == "SUCCESS" or None

    try:
        poll("SUCCESS", succeeded, 600)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {seen[-1:]}") from None


def _job_names(dev: DevServer) -> set[str]:
    nodes = dev.graphql(JOBS)["repositoriesOrError"].get("nodes") or []
    return {j["name"] for n in nodes for j in n["jobs"]}


def test_pause_and_unpause_a_code_workflow(
    api: tuple[Api, Settings], dagster: tuple[DevServer, Path]
) -> None:
    cli, _ = api
    dev, _ = dagster
    # pause / unpause: the schedule in Dagster, and `list`
    paused = cli.json("pause", "report_job", "--reason", "maintenance")
    assert (paused["status"], paused["reason"]) == ("paused", "maintenance")
    assert schedule_status(dev) == "STOPPED"
    assert [w["status"] for w in cli.json("list", "--status", "paused")] == ["paused"]
    assert cli.json("unpause", "report_job")["status"] == "active"
    assert schedule_status(dev) == "RUNNING"


def test_the_run_sync_adopts_runs_launched_in_dagster_in_one_batch(
    dagster: tuple[DevServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs launched in Dagster itself (as a schedule, a sensor or the UI does) are in the API's registry after
    one pass of the run sync, fetched by one runsOrError per batch of ids, never one runOrError per run."""
    from floe_api import orchestrator
    from floe_api.registry.models import Run
    from sqlalchemy import select

    dev, project = dagster
    (repo,) = dev.graphql(REPOS)["repositoriesOrError"]["nodes"]
    selector = {
        "repositoryLocationName": repo["location"]["name"],
        "repositoryName": repo["name"],
        "jobName": "report_job",
    }
    tags = [
        {"key": "floe/workflow", "value": "report_job"},
        {"key": "dagster/schedule_name", "value": "nightly"},
    ]
    launched = [
        dev.graphql(LAUNCH, {"p": {"selector": selector, "executionMetadata": {"tags": tags}}})["launchRun"][
            "run"
        ]["runId"]
        for _ in range(3)
    ]
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'api.db'}",
        dagster_url=f"http://127.0.0.1:{dev.port}",
        store=project / ".floe" / "workflows",
        run_sync_interval=0,  # no background thread: the test runs one pass itself
    )
    with served_api(settings) as (_, app):
        service = app.state.service
        asked: list[str] = []
        query = service.dagster.query

        def counted(q: str, variables: dict[str, Any] | None = None, timeout: float | None = None) -> Any:
            asked.append(q)
            return query(q, variables, timeout)

        monkeypatch.setattr(service.dagster, "query", counted)
        adopted = service.sync_runs(batch=25)
        with service.registry.session() as session:
            rows = {
                r.run_id: (r.workflow_name, r.triggered_by, r.run_type)
                for r in session.scalars(select(Run).where(Run.run_id.in_(launched)))
            }
        assert rows == {r: ("report_job", "nightly", "scheduled") for r in launched}
        assert adopted >= len(launched)  # and the module's earlier tests' workflow runs, if any
        assert asked.count(orchestrator._RUN_PAGE) == 1
        assert asked.count(orchestrator._RUNS) == -(-adopted // 25)
        assert asked.count(orchestrator._RUN) == asked.count(orchestrator._FINISHED_RUN) == 0
