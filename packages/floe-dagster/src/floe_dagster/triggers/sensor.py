"""The downstream-triggers sensor (seed 003 on Dagster): when a run of an upstream job succeeds, each of its
`on_success` targets is sent once.

- Exactly once per upstream run, also across a daemon restart: Dagster's run-status cursor moves past a run
  only after its tick, and each delivered trigger is recorded on the upstream run itself (a tag
  `floe/trigger/<n>`) right after it was sent, so a re-evaluated run skips what was delivered. `dagster_job`
  targets are run requests with a run key, which Dagster itself never launches twice. Step Functions
  executions get a name derived from (run, trigger): the service refuses a duplicate.
- One failing trigger never stops the others; each is tried `ATTEMPTS` times within the tick (bounded), every
  attempt logged with its target and result; a trigger that still fails is recorded as failed on the run
  (`floe/trigger/<n>` = `failed: ...`) and not retried by later ticks (no endless retries).
- The triggers file is read on every evaluation: edits apply without a redeploy (the document's rule); an
  invalid file skips the tick with its `file:line` messages.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunStatusSensorContext,
    SensorDefinition,
    SkipReason,
    run_status_sensor,
)
from floe_core.errors import FloeError
from floe_core.secrets import scrub
from floe_core.triggers import load_triggers
from floe_core.triggers.payloads import dagster_run_tags
from floe_core.triggers.spec import DagsterJobTarget, Target
from floe_dagster.triggers.deliver import deliver
from floe_dagster.triggers.source_event import source_event

SENSOR_NAME = "floe_downstream_triggers"
TAG_PREFIX = "floe/trigger/"
ATTEMPTS = 2
_BACKOFF_SECONDS = 1.0


def trigger_key(kind: str, index: int, target: Target) -> str:
    return f"{kind}.{index}.{target.type}"


def downstream_trigger_sensor(
    triggers_file: Path, jobs: Sequence[JobDefinition], minimum_interval_seconds: int = 5
) -> SensorDefinition:
    by_name = {job.name: job for job in jobs}

    @run_status_sensor(
        run_status=DagsterRunStatus.SUCCESS,
        name=SENSOR_NAME,
        description=f"sends the on_success triggers of {triggers_file.name} once per successful upstream run",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        request_jobs=list(jobs),
    )
    def _send(context: RunStatusSensorContext) -> Iterator[RunRequest | SkipReason]:
        run = context.dagster_run
        try:
            config = load_triggers(triggers_file, known_jobs=by_name)
        except FloeError as exc:
            context.log.error(f"downstream triggers not sent for run {run.run_id}: {exc}")
            yield SkipReason(f"invalid triggers file: {exc}")
            return
        upstream = config.workflows.get(run.job_name)
        if upstream is None or not upstream.on_success:
            yield SkipReason(f"no on_success triggers for {run.job_name}")
            return
        event = source_event(context.instance, run)
        done = {k[len(TAG_PREFIX) :] for k in run.tags if k.startswith(TAG_PREFIX)}
        for index, target in enumerate(upstream.on_success):
            key = trigger_key("on_success", index, target)
            if isinstance(target, DagsterJobTarget):
                yield RunRequest(
                    run_key=f"{run.run_id}:{key}",
                    job_name=target.job,
                    tags=dagster_run_tags(target, event),
                    partition_key=_text_or_none(event.resolve(target.partition))
                    if target.partition
                    else None,
                )
                continue
            if key in done:
                context.log.info(f"trigger {key} of run {run.run_id} already sent: skipped")
                continue
            outcome = _send_with_retries(context, target, event, key)
            context.instance.add_run_tags(run.run_id, {TAG_PREFIX + key: outcome})

    return _send


def _send_with_retries(context: RunStatusSensorContext, target: Target, event: object, key: str) -> str:
    from floe_core.triggers import SourceEvent

    assert isinstance(event, SourceEvent)
    error = ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            answer = deliver(target, event, key)  # type: ignore[arg-type]  # dagster_job handled by the caller
        except Exception as exc:  # one failing trigger never stops the others
            error = _safe_error(exc)
            context.log.warning(
                f"trigger {key} ({target.type}) for {event.job_name} run {event.run_id}: attempt {attempt}/"
                f"{ATTEMPTS} failed: {error}"
            )
            if attempt < ATTEMPTS:
                time.sleep(_BACKOFF_SECONDS * attempt)
            continue
        context.log.info(f"trigger {key} ({target.type}) for {event.job_name} run {event.run_id}: {answer}")
        return f"delivered {datetime.now(UTC).isoformat(timespec='seconds')}: {answer}"[:500]
    return f"failed: {error}"[:500]


def _safe_error(exc: Exception) -> str:
    """The error without anything secret-looking (a URL with a token, an auth header)."""
    import os

    from floe_core.secrets import may_hold_secret

    secrets = [v for k, v in os.environ.items() if v and (may_hold_secret(k) or k.endswith("_URL"))]
    return scrub(f"{type(exc).__name__}: {exc}", secrets)[:300]


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)
