"""The downstream-triggers sensors (seed 003 on Dagster, Dagster as the event source instead of SNS):

- `floe_downstream_triggers` (runs that finished): a successful upstream run's `on_success` targets, each
  once; a run under an approval policy whose quality checks failed (a non-blocking check: the run succeeded;
  a blocking check or a failing dbt test: it failed) is held in PENDING_APPROVAL instead;
- `floe_approvals` (every few seconds): approved runs get their `on_approval` targets, each once; runs past
  their deadline are rejected.

The triggers file is read on every evaluation (edits apply without a redeploy: the document's rule); an
invalid file skips the tick with its `file:line` messages. Dagster's cursors move only when a tick
completes, so a daemon stopped mid-tick evaluates the same runs again: send.py makes that safe.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DefaultSensorStatus,
    EventLogRecord,
    JobDefinition,
    RunRequest,
    RunsFilter,
    RunStatusChangeRecordsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)
from floe_core.errors import FloeError
from floe_core.triggers import TriggerConfig, UpstreamTriggers, load_triggers
from floe_core.triggers.approval import (
    APPROVAL_TAG,
    APPROVED,
    DEADLINE_TAG,
    DECIDED_AT_TAG,
    PENDING,
    REJECTED,
    TIMEOUT_ACTOR,
    decision_tags,
)
from floe_core.triggers.spec import DagsterJobTarget
from floe_core.workflows import NotificationSettings

from floe_dagster.triggers.approval import hold
from floe_dagster.triggers.send import TriggerSender
from floe_dagster.triggers.source_event import failed_checks, source_event

SUCCESS_SENSOR = "floe_downstream_triggers"
# Dagster's sensor daemon evaluates sensors in a loop of at least 5 s (dagster._daemon.sensor's
# MIN_INTERVAL_LOOP_TIME), so a sensor that looks once per tick delivers 0-5 s after a run ends. This one
# keeps watching for finished runs for most of that loop (polling the event log every POLL_SECONDS), so a
# trigger leaves well within a second of its run's end instead (bench: trigger_latency).
# With `sensors: use_threads: true` in dagster.yaml (floe init writes it) each sensor has its own thread, so
# this one can watch for longer and the gaps between its evaluations (when nothing watches) become rare.
WATCH_SECONDS = 4.0
THREADED_WATCH_SECONDS = 20.0  # well under Dagster's 60 s sensor evaluation timeout
POLL_SECONDS = 0.2
WATCH_BATCH = 50  # finished runs handled per poll (bounded)
APPROVALS_SENSOR = "floe_approvals"
APPROVALS_SCANNED = 200  # decided runs looked at per tick (newest first): bounded


_Log = Callable[[str], None]


class _Config:
    """The triggers file, re-read on every evaluation."""

    def __init__(self, path: Path, jobs: Sequence[str], notifications: NotificationSettings) -> None:
        self.path, self.jobs, self.notifications = path, list(jobs), notifications

    def read(self, log_error: _Log) -> TriggerConfig | None:
        try:
            return load_triggers(self.path, known_jobs=self.jobs)
        except FloeError as exc:
            log_error(f"downstream triggers not evaluated: {exc}")
            return None


def trigger_sensors(
    triggers_file: Path,
    jobs: Sequence[JobDefinition],
    minimum_interval_seconds: int = 2,
    watch_seconds: float | None = None,
    notifications: NotificationSettings | None = None,
) -> list[SensorDefinition]:
    config = _Config(triggers_file, [j.name for j in jobs], notifications or NotificationSettings())
    # only the jobs the file names as dagster_job targets when the code location loads (a sensor's jobs are
    # fixed at load; pausing one of them in the API or the UI must not stop these sensors for every job)
    requestable = _dagster_job_targets(config, jobs)

    @sensor(
        name=SUCCESS_SENSOR,
        description=f"sends the on_success triggers of {triggers_file.name} once per successful upstream run;"
        " holds a run whose quality checks failed for approval",
        minimum_interval_seconds=1,
        default_status=DefaultSensorStatus.RUNNING,
        jobs=requestable or None,
    )
    def finished_runs(context: SensorEvaluationContext) -> SensorResult:
        watcher = _FinishedRuns(context, config, watch_seconds)
        return watcher.evaluate()

    @sensor(
        name=APPROVALS_SENSOR,
        description="sends on_approval triggers of approved runs once; rejects runs past their deadline",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        jobs=requestable or None,
    )
    def approvals(context: SensorEvaluationContext) -> SensorResult:
        instance = context.instance
        expired = _reject_expired(instance, context.log.info)
        settings = config.read(context.log.error)
        if settings is None:
            return SensorResult(skip_reason="invalid triggers file", cursor=context.cursor)
        # the cursor (committed with the run requests, only when the tick completes) is the last decision
        # handled: a tick stopped midway is evaluated again, and send.py skips what was already sent
        after = context.cursor or ""
        sender = TriggerSender(instance, context.log.info, context.log.warning)
        requests: list[RunRequest] = []
        handled = after
        for mark, run in _approved_since(instance, after):
            upstream = settings.workflows.get(run.job_name)
            if upstream is not None and upstream.on_approval:
                event = source_event(instance, run)
                requests += sender.send(run, "on_approval", upstream.on_approval, event)
            handled = mark
        done = f"{len(expired)} expired" if expired else "no approval expired"
        return SensorResult(
            run_requests=requests,
            cursor=handled,
            skip_reason=None if requests else f"approvals handled up to {handled or '-'}; {done}",
        )

    return [finished_runs, approvals]


class _FinishedRuns:
    """One evaluation of the finished-runs sensor: the SUCCESS and FAILURE events of the watched jobs after
    the cursor (an event storage id), oldest first, each handled once; the cursor moves with them."""

    def __init__(
        self, context: SensorEvaluationContext, config: _Config, watch_seconds: float | None
    ) -> None:
        self.context, self.config = context, config
        self.watch_seconds = _watch_seconds(context.instance) if watch_seconds is None else watch_seconds
        self.instance = context.instance
        self.sender = TriggerSender(self.instance, context.log.info, context.log.warning)
        self.requests: list[RunRequest] = []
        self.handled: list[str] = []

    def evaluate(self) -> SensorResult:
        if not self.context.cursor:  # first evaluation: watch from now on (as Dagster's run-status sensors)
            newest = self._events(None, limit=1, ascending=False)
            start = str(newest[0].storage_id) if newest else "0"
            return SensorResult(cursor=start, skip_reason="watching runs that finish from now on")
        cursor = int(self.context.cursor)
        deadline = time.monotonic() + self.watch_seconds
        while True:
            events = self._events(cursor, limit=WATCH_BATCH, ascending=True)
            for record in events:
                self._handle(record.event_log_entry.run_id, record.event_log_entry.dagster_event_type)
                cursor = record.storage_id
            if self.requests or time.monotonic() >= deadline:
                break  # run requests are submitted when the evaluation returns: do not hold them
            if len(events) < WATCH_BATCH:
                time.sleep(POLL_SECONDS)
        skip = None if self.requests else "; ".join(self.handled)[:900] or "no run finished"
        return SensorResult(run_requests=self.requests, cursor=str(cursor), skip_reason=skip)

    def _events(self, after: int | None, limit: int, ascending: bool) -> list[EventLogRecord]:
        found: list[EventLogRecord] = []
        for kind in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE):
            wanted = RunStatusChangeRecordsFilter(
                event_type=kind, after_storage_id=after, job_names=self.config.jobs
            )
            found += self.instance.fetch_run_status_changes(wanted, limit=limit, ascending=ascending).records
        return sorted(found, key=lambda r: r.storage_id, reverse=not ascending)[:limit]

    def _handle(self, run_id: str, kind: DagsterEventType | None) -> None:
        run = self.instance.get_run_by_id(run_id)
        upstream = _upstream(self.config, run, self.context.log.error) if run is not None else None
        if run is None or upstream is None:
            return
        held = _hold_if_checks_failed(
            self.instance, run, upstream, self.config.notifications, self.context.log.warning
        )
        if held is not None:
            self.context.log.info(held)
            self.handled.append(held)
            return
        if kind != DagsterEventType.RUN_SUCCESS or not upstream.on_success:
            return
        event = source_event(self.instance, run)
        self.requests += self.sender.send(run, "on_success", upstream.on_success, event)
        self.handled.append(_summary(self.instance, run))


def _watch_seconds(instance: DagsterInstance) -> float:
    threaded = (instance.get_settings("sensors") or {}).get("use_threads")
    return THREADED_WATCH_SECONDS if threaded else WATCH_SECONDS


def _dagster_job_targets(config: _Config, jobs: Sequence[JobDefinition]) -> list[JobDefinition]:
    settings = config.read(lambda _: None)  # an invalid file is reported by every tick, not at load
    if settings is None:
        return []
    named = {
        t.job
        for upstream in settings.workflows.values()
        for t in [*upstream.on_success, *upstream.on_approval]
        if isinstance(t, DagsterJobTarget)
    }
    return [j for j in jobs if j.name in named]


def _upstream(config: _Config, run: DagsterRun, log_error: _Log) -> UpstreamTriggers | None:
    settings = config.read(log_error)
    return None if settings is None else settings.workflows.get(run.job_name)


def _hold_if_checks_failed(
    instance: DagsterInstance,
    run: DagsterRun,
    upstream: UpstreamTriggers,
    notifications: NotificationSettings,
    warning: _Log,
) -> str | None:
    policy = upstream.gate
    if policy is None:
        return None
    failed = failed_checks(instance, run.run_id)
    if not failed:
        return None
    return hold(instance, run, policy, failed, notifications=notifications, warning=warning)


def _approved_since(instance: DagsterInstance, after: str) -> list[tuple[str, DagsterRun]]:
    """Approved runs whose decision (time, run id) comes after the cursor, oldest decision first."""
    records = instance.get_run_records(RunsFilter(tags={APPROVAL_TAG: APPROVED}), limit=APPROVALS_SCANNED)
    marked = [
        (f"{r.dagster_run.tags.get(DECIDED_AT_TAG, '')}|{r.dagster_run.run_id}", r.dagster_run)
        for r in records
    ]
    return sorted((m for m in marked if m[0] > after), key=lambda m: m[0])


def _reject_expired(instance: DagsterInstance, info: _Log) -> list[str]:
    now = datetime.now(UTC)
    expired = []
    for record in instance.get_run_records(RunsFilter(tags={APPROVAL_TAG: PENDING}), limit=APPROVALS_SCANNED):
        run = record.dagster_run
        try:
            deadline = datetime.fromisoformat(run.tags.get(DEADLINE_TAG, ""))
        except ValueError:
            continue
        if deadline <= now:
            reason = f"not approved before {run.tags[DEADLINE_TAG]}"
            instance.add_run_tags(run.run_id, decision_tags(REJECTED, TIMEOUT_ACTOR, now, reason))
            info(f"run {run.run_id} rejected: {reason}")
            expired.append(run.run_id)
    return expired


def _summary(instance: DagsterInstance, run: DagsterRun) -> str:
    fresh = instance.get_run_by_id(run.run_id) or run
    states = {k: v.split(":")[0] for k, v in fresh.tags.items() if k.startswith("floe/trigger/")}
    return f"run {run.run_id}: " + json.dumps(states)[:900]
