"""Dagster, reached over its GraphQL HTTP API only (no dagster import): bounded timeouts, a circuit breaker,
and typed results. Every failure to talk to Dagster raises OrchestratorUnavailable (-> 503)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from floe_api.breaker import CircuitBreaker, CircuitOpen
from floe_api.status import RunStatus, map_status

WORKFLOW_TAG = "floe/workflow"
WORKFLOW_SOURCE_TAG = "floe/workflow_source"
TRIGGERED_BY_TAG = "floe/triggered_by"
BACKFILL_TAG = "floe/backfill"
SERIAL_TAG = "floe/backfill_serial"  # limit 1 per value in the instance's tag_concurrency_limits
PARTITION_TAG = "dagster/partition"
# floe's downstream-trigger sensors (floe_dagster.triggers.sensor) target the jobs they may launch, but belong
# to no workflow (tests/triggers checks the names)
SHARED_SENSORS = frozenset({"floe_downstream_triggers", "floe_approvals"})


class OrchestratorUnavailable(Exception):
    pass


class OrchestratorError(Exception):
    """Dagster answered, but refused (e.g. the run config is invalid)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Instigator(_Model):
    kind: str  # schedule | sensor
    name: str
    running: bool
    cron: str | None = None
    timezone: str | None = None
    next_tick: datetime | None = None


class Job(_Model):
    name: str
    location: str
    repository: str
    tags: dict[str, str]
    partitioned: bool
    instigators: list[Instigator]

    @property
    def source(self) -> str | None:
        return self.tags.get(WORKFLOW_SOURCE_TAG)


class Progress(_Model):
    total_tasks: int
    completed_tasks: int
    failed_tasks: int
    current_task: str | None


class RunInfo(_Model):
    run_id: str
    job_name: str
    status: RunStatus
    dagster_status: str
    tags: dict[str, str]
    started_at: datetime | None
    ended_at: datetime | None
    progress: Progress


_WORKSPACE = """
query {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection { nodes {
      name location { name }
      jobs { name isJob tags { key value } partitionKeysOrError(limit: 1) { __typename ... on PartitionKeys { partitionKeys } } }
      schedules { name pipelineName cronSchedule executionTimezone scheduleState { status }
                  futureTicks(limit: 1) { results { timestamp } } }
      sensors { name targets { pipelineName } sensorState { status } }
    } }
    ... on PythonError { message }
  }
}"""

_RUN = """
query($id: ID!) {
  runOrError(runId: $id) {
    __typename
    ... on Run { runId jobName status startTime endTime tags { key value }
                 stepStats { stepKey status startTime } executionPlan { steps { key } } }
    ... on RunNotFoundError { message }
    ... on PythonError { message }
  }
}"""

# a finished run: its steps are all in stepStats, so no execution plan (the webserver builds it from the job
# snapshot: the most expensive part of the query)
_FINISHED_RUN = _RUN.replace(" executionPlan { steps { key } }", "")

# many runs by id in one request (no execution plan: a batch adopts runs, the progress of an unfinished one is
# asked again with its plan when its status is)
_RUNS = """
query($ids: [String!], $n: Int) {
  runsOrError(filter: {runIds: $ids}, limit: $n) {
    __typename
    ... on Runs { results { runId jobName status startTime endTime tags { key value }
                            stepStats { stepKey status startTime } } }
    ... on Error { message }
  }
}"""

# the newest runs, `n` at a time from `cursor` (a run id, exclusive): ids and tags only (cheap: no run record
# nor event log read per run)
_RUN_PAGE = """
query($n: Int!, $cursor: String) { runsOrError(limit: $n, cursor: $cursor) {
  __typename ... on Runs { results { runId tags { key value } } } ... on Error { message } } }"""

_LAUNCH = """
mutation($p: ExecutionParams!) {
  launchRun(executionParams: $p) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on Error { message }
  }
}"""

_JOB_RUNS = """
query($job: String!, $n: Int!) { runsOrError(filter: {pipelineName: $job}, limit: $n) {
  __typename ... on Runs { results { runId } } ... on Error { message } } }"""

_TERMINATE = """
mutation($id: String!) {
  terminateRun(runId: $id) {
    __typename
    ... on TerminateRunSuccess { run { runId status } }
    ... on TerminateRunFailure { message }
    ... on Error { message }
  }
}"""

_START_SCHEDULE = """
mutation($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) { __typename ... on Error { message } } }"""
_STOP_SCHEDULE = """
mutation($id: String!) { stopRunningSchedule(id: $id) { __typename ... on Error { message } } }"""
_SCHEDULE_ID = """
query($s: ScheduleSelector!) { scheduleOrError(scheduleSelector: $s) {
  __typename ... on Schedule { scheduleState { id } } ... on Error { message } } }"""
_START_SENSOR = """
mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename ... on Error { message } } }"""
_STOP_SENSOR = """
mutation($id: String!) { stopSensor(id: $id) { __typename ... on Error { message } } }"""
_SENSOR_ID = """
query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) {
  __typename ... on Sensor { sensorState { id } } ... on Error { message } } }"""
_RELOAD = """
mutation($l: String!) { reloadRepositoryLocation(repositoryLocationName: $l) {
  __typename ... on WorkspaceLocationEntry { name } ... on Error { message } } }"""
_LOCATIONS = """
query { workspaceOrError { __typename ... on Workspace { locationEntries { name } } ... on Error { message } } }"""


def _ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def _run_info(run: dict[str, Any]) -> RunInfo:
    steps = run["stepStats"] or []
    planned = [s["key"] for s in ((run.get("executionPlan") or {}).get("steps") or [])]
    current = next((s["stepKey"] for s in steps if s["status"] == "IN_PROGRESS"), None)
    progress = Progress(
        total_tasks=max(len(planned), len(steps)),
        completed_tasks=sum(s["status"] in ("SUCCESS", "SKIPPED") for s in steps),
        failed_tasks=sum(s["status"] == "FAILURE" for s in steps),
        current_task=current,
    )
    tags = {t["key"]: t["value"] for t in run["tags"]}
    return RunInfo(
        run_id=run["runId"],
        job_name=run["jobName"],
        status=map_status(run["status"], tags),
        dagster_status=run["status"],
        tags=tags,
        started_at=_ts(run["startTime"]),
        ended_at=_ts(run["endTime"]),
        progress=progress,
    )


class Dagster:
    """The Dagster webserver at `url` (e.g. http://127.0.0.1:3000); `ui_url` is what logs_url points at."""

    def __init__(
        self,
        url: str,
        *,
        ui_url: str | None = None,
        timeout: float = 5.0,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.ui_url = (ui_url or url).rstrip("/")
        self.breaker = breaker or CircuitBreaker()
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 2.0))
        self._client = httpx.Client(timeout=self._timeout)

    def close(self) -> None:
        self._client.close()

    def logs_url(self, run_id: str) -> str:
        return f"{self.ui_url}/runs/{run_id}"

    def query(
        self, query: str, variables: dict[str, Any] | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """One GraphQL request, bounded by the client's timeout or `timeout` (a reload loads user code)."""
        try:
            self.breaker.before()
        except CircuitOpen as exc:
            raise OrchestratorUnavailable(str(exc)) from None
        if self._client.is_closed:  # the app was shut down and started again (lifespan)
            self._client = httpx.Client(timeout=self._timeout)
        try:
            response = self._client.post(
                f"{self.url}/graphql",
                json={"query": query, "variables": variables or {}},
                timeout=httpx.USE_CLIENT_DEFAULT
                if timeout is None
                else httpx.Timeout(timeout, connect=self._timeout.connect),
            )
            if response.status_code < 500 or response.headers.get("content-type", "").startswith(
                "application/json"
            ):
                body = response.json()  # GraphQL errors come with 400 or 500 and a JSON body: Dagster is up
                if not isinstance(body, dict) or ("errors" not in body and "data" not in body):
                    response.raise_for_status()
            else:
                response.raise_for_status()
                body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            self.breaker.failure()
            raise OrchestratorUnavailable(
                f"Dagster at {self.url} is unavailable ({type(exc).__name__})"
            ) from None
        self.breaker.success()
        if body.get("errors"):
            raise OrchestratorError("; ".join(str(e.get("message")) for e in body["errors"]))
        data: dict[str, Any] = body["data"]
        return data

    @staticmethod
    def _ok(result: dict[str, Any], *ok: str) -> dict[str, Any]:
        if result["__typename"] not in ok:
            messages = [e["message"] for e in result.get("errors", [])] or [result.get("message", "")]
            raise OrchestratorError(f"{result['__typename']}: {'; '.join(messages)}")
        return result

    # -- reading ------------------------------------------------------------------------------------------
    def jobs(self) -> dict[str, Job]:
        """Every job of every code location by name (floe's job names are unique across the workspace)."""
        repos = self._ok(self.query(_WORKSPACE)["repositoriesOrError"], "RepositoryConnection")
        out: dict[str, Job] = {}
        for repo in repos["nodes"]:
            instigators: dict[str, list[Instigator]] = {}
            for s in repo["schedules"]:
                ticks = s["futureTicks"]["results"]
                instigators.setdefault(s["pipelineName"], []).append(
                    Instigator(
                        kind="schedule",
                        name=s["name"],
                        running=s["scheduleState"]["status"] == "RUNNING",
                        cron=s["cronSchedule"],
                        timezone=s["executionTimezone"],
                        next_tick=_ts(ticks[0]["timestamp"]) if ticks else None,
                    )
                )
            for s in repo["sensors"]:
                if s["name"] in SHARED_SENSORS:
                    continue  # they serve every job: pausing one workflow must not stop them
                for target in s["targets"] or []:
                    instigators.setdefault(target["pipelineName"], []).append(
                        Instigator(
                            kind="sensor", name=s["name"], running=s["sensorState"]["status"] == "RUNNING"
                        )
                    )
            for job in repo["jobs"]:
                if job["name"].startswith("__"):
                    continue
                out[job["name"]] = Job(
                    name=job["name"],
                    location=repo["location"]["name"],
                    repository=repo["name"],
                    tags={t["key"]: t["value"] for t in job["tags"]},
                    partitioned=bool(job["partitionKeysOrError"].get("partitionKeys")),
                    instigators=instigators.get(job["name"], []),
                )
        return out

    def run(self, run_id: str, finished: bool = False) -> RunInfo | None:
        """The run, or None if Dagster has no such run; `finished`: the caller knows it has ended (a
        cheaper query: progress from its step stats alone)."""
        result = self.query(_FINISHED_RUN if finished else _RUN, {"id": run_id})["runOrError"]
        if result["__typename"] == "RunNotFoundError":
            return None
        return _run_info(self._ok(result, "Run"))

    def runs(self, run_ids: list[str]) -> dict[str, RunInfo]:
        """Many runs in one request, by id (the ones Dagster has); an unfinished run's progress counts the
        steps that have started only (no execution plan)."""
        if not run_ids:
            return {}
        result = self.query(_RUNS, {"ids": run_ids, "n": len(run_ids)})["runsOrError"]
        infos = [_run_info(r) for r in self._ok(result, "Runs")["results"]]
        return {info.run_id: info for info in infos}

    def run_page(self, limit: int, cursor: str | None = None) -> list[tuple[str, dict[str, str]]]:
        """The newest runs (older than the run `cursor` when given): (run id, tags) of each, newest first."""
        result = self.query(_RUN_PAGE, {"n": limit, "cursor": cursor})["runsOrError"]
        return [
            (r["runId"], {t["key"]: t["value"] for t in r["tags"]})
            for r in self._ok(result, "Runs")["results"]
        ]

    def job_run_ids(self, job_name: str, limit: int) -> list[str]:
        """The newest `limit` runs of a job, however they were launched (schedule, sensor, UI, API)."""
        result = self.query(_JOB_RUNS, {"job": job_name, "n": limit})["runsOrError"]
        return [r["runId"] for r in self._ok(result, "Runs")["results"]]

    # -- acting -------------------------------------------------------------------------------------------
    def launch(self, job: Job, tags: dict[str, str], run_config: dict[str, Any] | None = None) -> str:
        params = {
            "selector": {
                "repositoryLocationName": job.location,
                "repositoryName": job.repository,
                "jobName": job.name,
            },
            "runConfigData": run_config or {},
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
        result = self._ok(self.query(_LAUNCH, {"p": params})["launchRun"], "LaunchRunSuccess")
        run_id: str = result["run"]["runId"]
        return run_id

    def terminate(self, run_id: str) -> None:
        self._ok(self.query(_TERMINATE, {"id": run_id})["terminateRun"], "TerminateRunSuccess")

    def set_running(self, job: Job, running: bool) -> None:
        """Start or stop every schedule and sensor of `job`."""
        for instigator in job.instigators:
            selector = {
                "repositoryLocationName": job.location,
                "repositoryName": job.repository,
                f"{instigator.kind}Name": instigator.name,
            }
            if instigator.kind == "schedule":
                if running:
                    self._ok(
                        self.query(_START_SCHEDULE, {"s": selector})["startSchedule"], "ScheduleStateResult"
                    )
                else:
                    found = self._ok(self.query(_SCHEDULE_ID, {"s": selector})["scheduleOrError"], "Schedule")
                    state_id = found["scheduleState"]["id"]  # the InstigationState's compound id
                    stopped = self.query(_STOP_SCHEDULE, {"id": state_id})["stopRunningSchedule"]
                    self._ok(stopped, "ScheduleStateResult")
            elif running:
                self._ok(self.query(_START_SENSOR, {"s": selector})["startSensor"], "Sensor")
            else:
                found = self._ok(self.query(_SENSOR_ID, {"s": selector})["sensorOrError"], "Sensor")
                stopped = self.query(_STOP_SENSOR, {"id": found["sensorState"]["id"]})["stopSensor"]
                self._ok(stopped, "StopSensorMutationResult")

    def locations(self) -> list[str]:
        result = self._ok(self.query(_LOCATIONS)["workspaceOrError"], "Workspace")
        return [entry["name"] for entry in result["locationEntries"]]

    def reload(self, timeout: float = 120.0) -> None:
        """Reload every code location (MANUAL workflows are read from the store at load). Dagster answers
        when the location has loaded the user's code again: that takes seconds, so `timeout` bounds it,
        not the short timeout of every other request."""
        for location in self.locations():
            reload = self.query(_RELOAD, {"l": location}, timeout=timeout)["reloadRepositoryLocation"]
            self._ok(reload, "WorkspaceLocationEntry")
