"""The workflow service (seed 001 §5): registry + Dagster + the MANUAL store. Every mutation is audited."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

from floe_core.cron import check_cron
from floe_core.errors import FloeError
from floe_core.workflows import WorkflowValidationError, load_workflow_text, text_sha256
from floe_core.workflows.cli import parse_when
from floe_core.workflows.manual_store import delete_manual_workflow, manual_path, save_manual_workflow
from floe_core.workflows.plan import render_plan
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from floe_api import errors
from floe_api.auth import Identity
from floe_api.orchestrator import (
    BACKFILL_TAG,
    PARTITION_TAG,
    SERIAL_TAG,
    TRIGGERED_BY_TAG,
    WORKFLOW_SOURCE_TAG,
    WORKFLOW_TAG,
    Dagster,
    Job,
    OrchestratorError,
    OrchestratorUnavailable,
    RunInfo,
)
from floe_api.registry import Registry, Run, Workflow, WorkflowVersion
from floe_api.schemas import (
    ApprovalResponse,
    BackfillRequest,
    BackfillResponse,
    HistoryItem,
    LastRun,
    Params,
    PauseRequest,
    PauseResponse,
    PlannedJob,
    Progress,
    RegisterRequest,
    RegisterResponse,
    RunRequest,
    RunResponse,
    RunStatusResponse,
    Schedule,
    SourceType,
    StopResponse,
    UnregisterResponse,
    WorkflowItem,
    WorkflowState,
)
from floe_api.status import APPROVAL_STATUS, APPROVAL_TAG, FINISHED, SETTLE_SECONDS, RunStatus

PARAMS_TAG = "floe/params"
DECISION_JOB = "floe_approval_decision"  # floe_dagster.triggers.approval (tests/triggers checks the name)
DECISION_OF_TAG = "floe/approval_decision_run"
DECISION_WAIT_SECONDS = 120.0
Decision = Literal["APPROVED", "REJECTED"]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _final(run: Run) -> bool:
    """A status that will not change: finished, and ended long enough ago that no approval gate can still
    hold it (status.SETTLE_SECONDS)."""
    if RunStatus(run.status) not in FINISHED:
        return False
    ended = _utc(run.ended_at)
    return ended is None or (datetime.now(UTC) - ended).total_seconds() >= SETTLE_SECONDS


def _duration(start: datetime | None, end: datetime | None) -> int | None:
    start = _utc(start)
    if start is None:
        return None
    return max(0, int(((_utc(end) or datetime.now(UTC)) - start).total_seconds()))


def validate_cron(cron: str) -> None:
    """The cron check floe.yaml's schedules get (5 fields, as Dagster accepts them)."""
    try:
        check_cron(cron)
    except ValueError as exc:
        raise errors.ApiError(400, "INVALID_CRON_EXPRESSION", f"{exc} (got {cron!r})") from None


def _update(run: Run, info: RunInfo) -> None:
    """The registry's copy of a run, from what Dagster says now; a finished run's progress is kept."""
    run.status = info.status.value
    run.started_at = info.started_at or run.started_at
    run.ended_at = info.ended_at
    if info.status in FINISHED:
        run.final_progress = info.progress.model_dump()


class WorkflowService:
    def __init__(
        self, registry: Registry, dagster: Dagster, store: str | Path, *, reload_timeout: float = 120.0
    ) -> None:
        self.registry = registry
        self.dagster = dagster
        self.store = store
        self.reload_timeout = reload_timeout
        self._synced_once = False  # sync_runs has gone through every page of Dagster's runs once

    # -- Dagster helpers ----------------------------------------------------------------------------------
    def _jobs(self) -> dict[str, Job]:
        try:
            return self.dagster.jobs()
        except OrchestratorUnavailable as exc:
            raise errors.unavailable(str(exc)) from None
        except OrchestratorError as exc:
            raise errors.unavailable(f"Dagster refused: {exc}") from None

    def _job(self, name: str) -> Job:
        job = self._jobs().get(name)
        if job is None:
            raise errors.unavailable(
                f"workflow '{name}' has no job in Dagster (is the code location loaded?)"
            )
        return job

    def sync_code(self, session: Session, jobs: dict[str, Job]) -> None:
        """Record CODE workflows (Dagster jobs tagged floe/workflow_source=code); CODE wins over MANUAL."""
        known = {w.name: w for w in session.scalars(select(Workflow))}
        for job in jobs.values():
            if job.source != "code":
                continue
            schedule = next((i for i in job.instigators if i.kind == "schedule"), None)
            status = "ACTIVE" if not job.instigators or any(i.running for i in job.instigators) else "PAUSED"
            row = known.get(job.name)
            if row is None:
                session.add(
                    Workflow(
                        name=job.name,
                        source_type="CODE",
                        status=status,
                        owner=job.tags.get("floe/owner", ""),
                        team=job.tags.get("floe/team"),
                        cron=schedule.cron if schedule else None,
                        timezone=(schedule.timezone if schedule else None) or "UTC",
                        job_name=job.name,
                    )
                )
            else:
                row.source_type = "CODE"
                row.status = status
                row.cron = schedule.cron if schedule else None

    def _workflow(self, session: Session, name: str) -> Workflow:
        row = session.scalar(select(Workflow).where(Workflow.name == name))
        if row is None and self._code_job_exists(name):  # a CODE workflow nobody listed yet
            self.sync_code(session, self._jobs())
            session.flush()
            row = session.scalar(select(Workflow).where(Workflow.name == name))
        if row is None:
            raise errors.not_found(name)
        return row

    def _code_job_exists(self, name: str) -> bool:
        try:
            job = self.dagster.jobs().get(name)
        except (OrchestratorUnavailable, OrchestratorError):
            return False
        return job is not None and job.source == "code"

    # -- reading ------------------------------------------------------------------------------------------
    def list_workflows(
        self,
        status: WorkflowState | None,
        source_type: SourceType | None,
        owner: str | None,
        limit: int,
        offset: int,
    ) -> list[WorkflowItem]:
        try:
            jobs: dict[str, Job] | None = self.dagster.jobs()
        except (OrchestratorUnavailable, OrchestratorError):
            jobs = None  # the registry still answers (next_run unknown)
        with self.registry.session() as session:
            if jobs is not None:
                self.sync_code(session, jobs)
                session.flush()
            query = select(Workflow).order_by(Workflow.name)
            if status is not None:
                query = query.where(Workflow.status == status.value.upper())
            if source_type is not None:
                query = query.where(Workflow.source_type == source_type.value)
            if owner is not None:
                query = query.where(Workflow.owner == owner)
            rows = list(session.scalars(query.limit(limit).offset(offset)))
            items = []
            for row in rows:
                last = session.scalar(
                    select(Run)
                    .where(Run.workflow_name == row.name)
                    .order_by(Run.started_at.desc().nulls_last())
                    .limit(1)
                )
                job = (jobs or {}).get(row.job_name)
                next_run = next(
                    (i.next_tick for i in (job.instigators if job else []) if i.running and i.next_tick), None
                )
                items.append(
                    WorkflowItem(
                        dataset_name=row.name,
                        status=WorkflowState(row.status.lower()),
                        source_type=SourceType(row.source_type),
                        owner=row.owner,
                        team=row.team,
                        schedule=Schedule(cron=row.cron, timezone=row.timezone) if row.cron else None,
                        last_run=LastRun(
                            run_id=last.run_id,
                            status=RunStatus(last.status),
                            started_at=_utc(last.started_at),
                            duration_seconds=_duration(last.started_at, last.ended_at),
                        )
                        if last
                        else None,
                        next_run=next_run,
                    )
                )
            return items

    def _refresh(self, session: Session, run: Run) -> Progress | None:
        """Bring an unfinished run's status up to date from Dagster (the full query: its progress counts
        the steps of its execution plan); its progress, None when Dagster is down."""
        try:
            info = self.dagster.run(run.run_id)
        except (OrchestratorUnavailable, OrchestratorError):
            return None
        if info is None:
            return None
        _update(run, info)
        session.flush()
        return Progress(**info.progress.model_dump())

    def status(self, run_id: str) -> RunStatusResponse:
        try:
            return self._status(run_id)
        except IntegrityError:  # the run sync adopted the same run at the same moment: it is known now
            return self._status(run_id)

    def _status(self, run_id: str) -> RunStatusResponse:
        """A finished run (its Dagster status final: it never changes) is answered from the registry alone;
        an unfinished one is always asked of Dagster, never served from what the registry last saw."""
        with self.registry.session() as session:
            run = session.get(Run, run_id)
            fresh = False
            if run is None:
                run = self._adopt(session, run_id)
                # just read from Dagster: a finished run's status and progress (its step stats) are as fresh
                # as a refresh would make them, so not asked again (a second query, with the execution plan)
                fresh = run.final_progress is not None
            # unfinished, or ended so recently that the approval gate may hold it (unless just read)
            if not _final(run) and not fresh:
                progress = self._refresh(session, run)
                if progress is None and run.final_progress is not None:
                    progress = Progress.model_validate(run.final_progress)
            elif run.final_progress is not None:
                progress = Progress.model_validate(run.final_progress)
            else:
                progress = self._final_progress(session, run)
            return RunStatusResponse(
                run_id=run.run_id,
                dataset_name=run.workflow_name,
                status=RunStatus(run.status),
                started_at=_utc(run.started_at),
                duration_seconds=_duration(run.started_at, run.ended_at),
                triggered_by=run.triggered_by,
                params=dict(run.params),
                logs_url=run.logs_url,
                progress=progress,
            )

    def _final_progress(self, session: Session, run: Run) -> Progress | None:
        """A finished run's progress the registry lacks (it was finished before this column, or Dagster was
        down when it finished): asked of Dagster once, without the execution plan, then kept."""
        try:
            info = self.dagster.run(run.run_id, finished=True)
        except (OrchestratorUnavailable, OrchestratorError):
            return None
        if info is None:
            return None
        run.final_progress = info.progress.model_dump()
        session.flush()
        return Progress(**info.progress.model_dump())

    def _adopt(self, session: Session, run_id: str, workflow: str | None = None) -> Run:
        """A run the API did not launch (a schedule's, a sensor's, the UI's): recorded when it is a
        workflow's (tagged floe/workflow, or a run of the job `workflow`). One query, without the execution
        plan (a finished run's steps are all in its step stats; an unfinished one's status asks again)."""
        try:
            info = self.dagster.run(run_id, finished=True)
        except OrchestratorUnavailable as exc:
            raise errors.unavailable(str(exc)) from None
        except OrchestratorError:
            info = None  # e.g. a run id Dagster cannot parse
        run = None if info is None else self._record(session, info, workflow)
        if run is None:
            raise errors.run_not_found(run_id)
        session.flush()
        return run

    def _record(self, session: Session, info: RunInfo, workflow: str | None = None) -> Run | None:
        """Add a Dagster run to the registry when it is a workflow's; a finished run's progress is kept."""
        name = info.tags.get(WORKFLOW_TAG) or (workflow if info.job_name == workflow else None)
        if name is None:
            return None
        tags = info.tags
        run = Run(
            run_id=info.run_id,
            workflow_name=name,
            status=info.status.value,
            triggered_by=tags.get(TRIGGERED_BY_TAG)
            or tags.get("dagster/schedule_name")
            or tags.get("dagster/sensor_name")
            or tags.get("user")
            or "dagster",
            run_type="scheduled"
            if "dagster/schedule_name" in tags
            else "sensor"
            if "dagster/sensor_name" in tags
            else "backfill"
            if "dagster/backfill" in tags or BACKFILL_TAG in tags
            else "manual",
            params={},
            started_at=info.started_at,
            ended_at=info.ended_at,
            logs_url=self.dagster.logs_url(info.run_id),
            final_progress=info.progress.model_dump() if info.status in FINISHED else None,
        )
        session.add(run)
        return run

    def _adopt_job_runs(self, session: Session, name: str, limit: int) -> None:
        """Record the workflow's runs that did not go through the API (schedules, sensors, the UI), so that
        history shows every run: their ids, then the unknown ones in one batch query; with Dagster down,
        history answers from the registry alone."""
        try:
            run_ids = self.dagster.job_run_ids(name, limit)
            known = set(session.scalars(select(Run.run_id).where(Run.run_id.in_(run_ids))))
            infos = self.dagster.runs([r for r in run_ids if r not in known])
        except (OrchestratorUnavailable, OrchestratorError):
            return
        for info in infos.values():
            self._record(session, info, workflow=name)
        session.flush()

    def sync_runs(self, page: int = 500, batch: int = 25, max_runs: int = 10_000) -> int:
        """Adopt the workflow runs (tagged floe/workflow) Dagster has and the registry does not, newest
        first: a page of ids and tags at a time, the unknown ones fetched `batch` per query; stops at a page
        whose workflow runs are all known, once a pass has gone through every page (a pass cut short by
        Dagster goes on to the older pages next time). The number adopted. (Run in the background by RunSync,
        so that the first status of a run launched outside the API is answered from the registry.)"""
        stop_at_known = self._synced_once
        adopted = 0
        cursor: str | None = None
        seen = 0
        while seen < max_runs:
            runs = self.dagster.run_page(page, cursor)
            if not runs:
                break
            seen += len(runs)
            ids = [run_id for run_id, tags in runs if WORKFLOW_TAG in tags]
            with self.registry.session() as session:
                known = set(session.scalars(select(Run.run_id).where(Run.run_id.in_(ids))))
            unknown = [run_id for run_id in ids if run_id not in known]
            for start in range(0, len(unknown), batch):
                infos = self.dagster.runs(unknown[start : start + batch])
                try:
                    with self.registry.session() as session:
                        # adopted meanwhile by a status call: skipped
                        there = set(session.scalars(select(Run.run_id).where(Run.run_id.in_(list(infos)))))
                        added = [
                            i for i in infos.values() if i.run_id not in there and self._record(session, i)
                        ]
                    adopted += len(added)
                except IntegrityError:
                    continue  # a status call adopted one of them between the check and the commit: next pass
            if (stop_at_known and ids and not unknown) or len(runs) < page:
                break
            cursor = runs[-1][0]
        self._synced_once = True
        return adopted

    def history(
        self, dataset_name: str | None, start_date: date | None, end_date: date | None, limit: int
    ) -> list[HistoryItem]:
        with self.registry.session() as session:
            if dataset_name is not None:
                self._adopt_job_runs(session, dataset_name, limit)
            query = select(Run).order_by(Run.started_at.desc().nulls_last(), Run.run_id)
            if dataset_name is not None:
                query = query.where(Run.workflow_name == dataset_name)
            if start_date is not None:
                query = query.where(Run.started_at >= datetime.combine(start_date, datetime.min.time(), UTC))
            if end_date is not None:
                end = datetime.combine(end_date + timedelta(days=1), datetime.min.time(), UTC)
                query = query.where(Run.started_at < end)
            runs = list(session.scalars(query.limit(limit)))
            for run in runs:
                if not _final(run):
                    self._refresh(session, run)
            return [
                HistoryItem(
                    run_id=r.run_id,
                    dataset_name=r.workflow_name,
                    status=RunStatus(r.status),
                    started_at=_utc(r.started_at),
                    ended_at=_utc(r.ended_at),
                    duration_seconds=_duration(r.started_at, r.ended_at) if r.ended_at else None,
                    triggered_by=r.triggered_by,
                    run_type=r.run_type,
                )
                for r in runs
            ]

    # -- runs ---------------------------------------------------------------------------------------------
    def _launch(
        self, job: Job, who: str, params: Params, extra: dict[str, str], partition: str | None
    ) -> str:
        partitioned = partition is not None and job.partitioned
        # a `date` that became the run's partition is the window, not a param of the workflow's jobs (a
        # workflow refuses params its jobs do not declare)
        job_params = {k: v for k, v in params.items() if not (partitioned and k == "date")}
        tags = {
            WORKFLOW_TAG: job.name,
            WORKFLOW_SOURCE_TAG: job.source or "manual",
            TRIGGERED_BY_TAG: who,
            PARAMS_TAG: json.dumps(job_params, sort_keys=True),
            **extra,
        }
        if partition is not None and partitioned:
            tags[PARTITION_TAG] = partition
        try:
            return self.dagster.launch(job, tags)
        except OrchestratorUnavailable as exc:
            raise errors.unavailable(str(exc)) from None
        except OrchestratorError as exc:
            raise errors.ApiError(400, "WORKFLOW_RUN_REJECTED", f"Dagster refused the run: {exc}") from None

    def _store_launched(self, run: Run, audit: tuple[str, str, str, str] | None = None) -> None:
        """Record a run the API has just launched. The run sync may have adopted it in between (it is tagged
        floe/workflow): the API's own record (who, params, version) replaces the adopted one."""
        for attempt in (1, 2):
            try:
                with self.registry.session() as session:
                    session.merge(run)
                    if audit is not None:
                        self.registry.audit(session, *audit)
                return
            except IntegrityError:  # adopted between merge's read and its insert: merged over it now
                if attempt == 2:
                    raise

    def run(self, name: str, body: RunRequest, who: Identity) -> RunResponse:
        with self.registry.session() as session:
            workflow = self._workflow(session, name)
            version = workflow.current_version
        if body.dry_run:  # needs no orchestrator: nothing is launched
            return RunResponse(
                run_id=None,
                dataset_name=name,
                status=RunStatus.PENDING,
                triggered_by=who.subject,
                params=body.params,
                started_at=None,
                dry_run=True,
                plan=self._plan(name, version, body.params),
            )
        job = self._job(name)
        date_param = body.params.get("date")
        run_id = self._launch(job, who.subject, body.params, {}, str(date_param) if date_param else None)
        now = datetime.now(UTC)
        self._store_launched(
            Run(
                run_id=run_id,
                workflow_name=name,
                status=RunStatus.PENDING.value,
                triggered_by=who.subject,
                run_type="manual",
                params=dict(body.params),
                version=version,
                started_at=now,
                logs_url=self.dagster.logs_url(run_id),
            ),
            audit=(who.subject, "run", name, run_id),
        )
        return RunResponse(
            run_id=run_id,
            dataset_name=name,
            status=RunStatus.PENDING,
            triggered_by=who.subject,
            params=body.params,
            started_at=now,
        )

    def _plan(self, name: str, version: int | None, params: Params) -> list[PlannedJob] | None:
        """The rendered plan of a MANUAL workflow's version for the `date` param (default: today, UTC);
        None for a workflow the API holds no spec of (CODE: `floe workflow plan` in the project)."""
        with self.registry.session() as session:
            stored = session.scalar(
                select(WorkflowVersion.yaml).where(
                    WorkflowVersion.workflow_name == name, WorkflowVersion.version == version
                )
            )
        if stored is None:
            return None
        when_text = str(params.get("date") or datetime.now(UTC).date().isoformat())
        overrides = {k: str(v) for k, v in params.items() if k != "date"}
        try:
            spec = load_workflow_text(stored, f"{name}.yaml")
            invocations = render_plan(spec, parse_when(when_text), params_override=overrides)
        except (FloeError, ValueError) as exc:
            raise errors.ApiError(400, "INVALID_RUN_PARAMS", str(exc), [str(exc)]) from None
        return [
            PlannedJob(
                job=inv.job, image=inv.image, argv=inv.argv, env=inv.display_env(), depends_on=inv.depends_on
            )
            for inv in invocations
        ]

    def backfill(self, name: str, body: BackfillRequest, who: Identity) -> BackfillResponse:
        if body.end_date < body.start_date:
            raise errors.ApiError(400, "INVALID_DATE_RANGE", "end_date is before start_date")
        days = (body.end_date - body.start_date).days + 1
        if days > 366:
            raise errors.ApiError(400, "INVALID_DATE_RANGE", f"at most 366 dates per backfill (got {days})")
        with self.registry.session() as session:
            version = self._workflow(session, name).current_version
        job = self._job(name)
        backfill_id = f"{name}_backfill_{body.start_date:%Y%m%d}_{body.end_date:%Y%m%d}"
        dates = [body.start_date + timedelta(days=i) for i in range(days)]
        run_ids: list[str] = []
        if not body.dry_run:
            extra = {BACKFILL_TAG: backfill_id}
            if not body.parallel:
                extra[SERIAL_TAG] = backfill_id
            for day in dates:
                params: Params = {**body.params, "date": day.isoformat()}
                run_id = self._launch(job, who.subject, params, extra, day.isoformat())
                run_ids.append(run_id)
                self._store_launched(
                    Run(
                        run_id=run_id,
                        workflow_name=name,
                        status=RunStatus.PENDING.value,
                        triggered_by=who.subject,
                        run_type="backfill",
                        params=dict(params),
                        version=version,
                        backfill_id=backfill_id,
                        started_at=datetime.now(UTC),
                        logs_url=self.dagster.logs_url(run_id),
                    )
                )
            with self.registry.session() as session:
                self.registry.audit(session, who.subject, "backfill", name, backfill_id)
        return BackfillResponse(
            backfill_id=backfill_id,
            dataset_name=name,
            start_date=body.start_date,
            end_date=body.end_date,
            run_ids=run_ids,
            status=RunStatus.PENDING,
            total_runs=days,
            dry_run=body.dry_run,
        )

    def stop(self, run_id: str, reason: str | None, who: Identity) -> StopResponse:
        with self.registry.session() as session:
            if session.get(Run, run_id) is None:
                self._adopt(session, run_id)
        self._terminate(run_id)
        now = datetime.now(UTC)
        with self.registry.session() as session:
            stopping = session.get(Run, run_id)
            assert stopping is not None
            if RunStatus(stopping.status) not in FINISHED:
                stopping.status = RunStatus.STOPPING.value
            self.registry.audit(session, who.subject, "stop", run_id, reason)
            status = RunStatus(stopping.status)
        return StopResponse(
            run_id=run_id, status=status, stopped_by=who.subject, stopped_at=now, reason=reason
        )

    # -- approval gate (floe_core.triggers.approval; docs/triggers.md) ------------------------------------------
    def decide(self, run_id: str, decision: Decision, reason: str | None, who: Identity) -> ApprovalResponse:
        """Record a decision on a run waiting for approval: a run of Dagster's `floe_approval_decision` job
        writes it on the run (who, when, why), where floe's sensor picks it up (on_approval fires once)."""
        info = self._dagster_run(run_id)
        state = info.tags.get(APPROVAL_TAG)
        if state != "PENDING_APPROVAL":
            raise errors.not_pending_approval(run_id, f"it is {state or info.status.value}")
        job = self._jobs().get(DECISION_JOB)
        if job is None:
            raise errors.no_approval_gate()
        config = {"run_id": run_id, "decision": decision, "decided_by": who.subject, "reason": reason or ""}
        try:
            decision_run = self.dagster.launch(
                job,
                tags={DECISION_OF_TAG: run_id, TRIGGERED_BY_TAG: who.subject},
                run_config={"ops": {"record_approval_decision": {"config": config}}},
            )
        except OrchestratorUnavailable as exc:
            raise errors.unavailable(str(exc)) from None
        except OrchestratorError as exc:
            raise errors.unavailable(f"Dagster refused: {exc}") from None
        recorded = self._wait_finished(decision_run)
        if recorded is None or recorded.status != RunStatus.SUCCESS:
            after = self._dagster_run(run_id).tags.get(APPROVAL_TAG, "")
            raise errors.not_pending_approval(
                run_id,
                f"the decision was not recorded ({after or 'still pending'}): see {self.dagster.logs_url(decision_run)}",
            )
        now = datetime.now(UTC)
        status = APPROVAL_STATUS[decision]
        with self.registry.session() as session:
            row = session.get(Run, run_id)
            if row is not None:
                row.status = status.value
            self.registry.audit(session, who.subject, decision.lower(), run_id, reason)
        return ApprovalResponse(
            run_id=run_id,
            decision=decision,
            status=status,
            decided_by=who.subject,
            decided_at=now,
            reason=reason,
            decision_run_id=decision_run,
        )

    def _dagster_run(self, run_id: str) -> RunInfo:
        try:
            info = self.dagster.run(run_id, finished=True)
        except OrchestratorUnavailable as exc:
            raise errors.unavailable(str(exc)) from None
        except OrchestratorError as exc:
            raise errors.unavailable(f"Dagster refused: {exc}") from None
        if info is None:
            raise errors.run_not_found(run_id)
        return info

    def _wait_finished(self, run_id: str) -> RunInfo | None:
        """The run once it has finished, or None after DECISION_WAIT_SECONDS (bounded)."""
        deadline = time.monotonic() + DECISION_WAIT_SECONDS
        while time.monotonic() < deadline:
            with contextlib.suppress(OrchestratorUnavailable, OrchestratorError):
                info = self.dagster.run(run_id, finished=True)
                if info is not None and info.status in FINISHED:
                    return info
            time.sleep(0.5)
        return None

    def _terminate(self, run_id: str) -> None:
        try:
            self.dagster.terminate(run_id)
        except OrchestratorUnavailable as exc:
            raise errors.unavailable(str(exc)) from None
        except OrchestratorError as exc:
            if "already" not in str(exc).lower() and "finished" not in str(exc).lower():
                raise errors.ApiError(409, "WORKFLOW_RUN_NOT_STOPPABLE", f"cannot stop run: {exc}") from None

    # -- pause --------------------------------------------------------------------------------------------
    def pause(self, name: str, body: PauseRequest, who: Identity, *, running: bool) -> PauseResponse:
        jobs = self._jobs()
        with self.registry.session() as session:
            self.sync_code(session, jobs)  # a CODE workflow not listed yet is known all the same
            session.flush()
            self._workflow(session, name)
        job = jobs.get(name)
        if job is not None:
            try:
                self.dagster.set_running(job, running)
            except OrchestratorUnavailable as exc:
                raise errors.unavailable(str(exc)) from None
            except OrchestratorError as exc:
                raise errors.unavailable(f"Dagster refused: {exc}") from None
        now = datetime.now(UTC)
        with self.registry.session() as session:
            row = self._workflow(session, name)
            row.status = "ACTIVE" if running else "PAUSED"
            row.paused_by = None if running else who.subject
            row.paused_at = None if running else now
            row.paused_reason = None if running else body.reason
            self.registry.audit(session, who.subject, "unpause" if running else "pause", name, body.reason)
            return PauseResponse(
                dataset_name=name,
                status=WorkflowState.active if running else WorkflowState.paused,
                paused_by=row.paused_by,
                paused_at=_utc(row.paused_at),
                reason=row.paused_reason,
            )

    def pause_all(self, body: PauseRequest, who: Identity, *, running: bool) -> list[PauseResponse]:
        with self.registry.session() as session:
            names = list(session.scalars(select(Workflow.name).order_by(Workflow.name)))
        return [self.pause(n, body, who, running=running) for n in names]

    # -- register -----------------------------------------------------------------------------------------
    def register(self, body: RegisterRequest, who: Identity) -> RegisterResponse:
        if body.schedule is not None:
            validate_cron(body.schedule.cron)
        try:
            spec = load_workflow_text(body.yaml_content, f"{body.dataset_name}.yaml")
        except WorkflowValidationError as exc:
            problems = [p.render() for p in exc.problems]
            raise errors.ApiError(400, "INVALID_WORKFLOW_SPEC", exc.render(), problems) from None
        except FloeError as exc:
            raise errors.ApiError(400, "INVALID_WORKFLOW_SPEC", str(exc), [str(exc)]) from None
        if spec.name != body.dataset_name:
            message = f"workflow.name is {spec.name!r}, expected dataset_name {body.dataset_name!r}"
            raise errors.ApiError(400, "INVALID_WORKFLOW_SPEC", message, [message])
        jobs = self._jobs()
        if body.dataset_name in jobs and jobs[body.dataset_name].source == "code":
            raise errors.code_workflow(
                body.dataset_name, "register (a CODE workflow has this name; CODE wins)"
            )
        sha = text_sha256(body.yaml_content)
        now = datetime.now(UTC)
        path = manual_path(self.store, body.dataset_name)
        try:
            with self.registry.session() as session:
                session.add(
                    Workflow(
                        name=body.dataset_name,
                        source_type="MANUAL",
                        status="ACTIVE",
                        owner=body.owner,
                        team=body.team,
                        description=body.description,
                        cron=body.schedule.cron if body.schedule else None,
                        timezone=body.schedule.timezone if body.schedule else "UTC",
                        store_path=str(path),
                        job_name=body.dataset_name,
                        current_version=1,
                        registered_by=who.subject,
                        created_at=now,
                    )
                )
                session.flush()  # the unique name: a concurrent register fails here (-> 409)
                version = session.scalar(
                    select(WorkflowVersion.version)
                    .where(WorkflowVersion.workflow_name == body.dataset_name)
                    .order_by(WorkflowVersion.version.desc())
                    .limit(1)
                )
                number = (version or 0) + 1
                session.add(
                    WorkflowVersion(
                        workflow_name=body.dataset_name,
                        version=number,
                        yaml=body.yaml_content,
                        sha256=sha,
                        created_by=who.subject,
                    )
                )
                self.registry.audit(session, who.subject, "register", body.dataset_name, f"version {number}")
        except IntegrityError:
            raise errors.already_exists(body.dataset_name) from None
        with self.registry.session() as session:
            self._workflow(session, body.dataset_name).current_version = number
        try:
            save_manual_workflow(self.store, body.dataset_name, body.yaml_content)
            self._reload_until(lambda names: body.dataset_name in names)
        except errors.ApiError:
            delete_manual_workflow(self.store, body.dataset_name)
            with self.registry.session() as session:
                session.delete(self._workflow(session, body.dataset_name))
                self.registry.audit(session, who.subject, "register_rolled_back", body.dataset_name)
            raise
        return RegisterResponse(
            dataset_name=body.dataset_name,
            status=WorkflowState.active,
            source_type=SourceType.MANUAL,
            s3_path=str(path),
            dagster_job=body.dataset_name,
            version=number,
            sha256=sha,
            registered_by=who.subject,
            registered_at=now,
        )

    def _reload_until(self, done: object) -> None:
        """Reload the code locations, then poll the jobs until `done(job names)` (bounded)."""
        assert callable(done)
        try:
            self.dagster.reload(timeout=self.reload_timeout)
        except OrchestratorUnavailable as exc:
            raise errors.unavailable(str(exc)) from None
        except OrchestratorError as exc:
            raise errors.unavailable(f"reloading the code location failed: {exc}") from None
        deadline = time.monotonic() + self.reload_timeout
        while True:
            if done(set(self._jobs())):
                return
            if time.monotonic() >= deadline:
                raise errors.unavailable(
                    f"the code location did not pick the change up within {self.reload_timeout:g}s"
                )
            time.sleep(0.5)

    def unregister(self, name: str, force: bool, who: Identity) -> UnregisterResponse:
        with self.registry.session() as session:
            workflow = self._workflow(session, name)
            if workflow.source_type == "CODE":
                raise errors.code_workflow(name, "unregister")
            active = [
                r
                for r in session.scalars(select(Run).where(Run.workflow_name == name))
                if RunStatus(r.status) not in FINISHED
            ]
            for run in active:
                self._refresh(session, run)
            active_ids = [r.run_id for r in active if RunStatus(r.status) not in FINISHED]
        if active_ids and not force:
            raise errors.ApiError(
                409,
                "WORKFLOW_HAS_ACTIVE_RUNS",
                f"workflow '{name}' has active runs ({', '.join(active_ids)}); use force to stop them",
            )
        job = self._jobs().get(name)
        for run_id in active_ids:
            self._terminate(run_id)
        stopped = False
        if job is not None and job.instigators:
            try:
                self.dagster.set_running(job, False)
                stopped = True
            except (OrchestratorUnavailable, OrchestratorError) as exc:
                raise errors.unavailable(str(exc)) from None
        deleted = delete_manual_workflow(self.store, name)
        with self.registry.session() as session:
            session.delete(self._workflow(session, name))
            self.registry.audit(session, who.subject, "unregister", name, "force" if force else None)
        self._reload_until(lambda names: name not in names)
        return UnregisterResponse(
            dataset_name=name,
            status="unregistered",
            s3_path_deleted=str(manual_path(self.store, name)) if deleted else None,
            dagster_schedules_stopped=stopped,
            runs_stopped=active_ids,
            unregistered_by=who.subject,
        )
