"""Sending a list of targets for one upstream run, each exactly once.

Each trigger's state is a tag on the upstream run, `floe/trigger/<kind>.<index>.<type>`: written as
`sending …` before the send (write-ahead) and `delivered …` / `failed: …` after. A re-evaluated run (the
daemon restarted before its cursor moved) skips what is recorded; a trigger left `sending` (the process died
mid-send) is looked up at the target where it can tell (Glue), else sent again with the same identity, which
the target recognises (deliver.py). `dagster_job` targets are run requests with a run key: Dagster never
launches a run key twice. One failing trigger never stops the others; each is tried `ATTEMPTS` times,
every attempt logged with its target and result.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from dagster import DagsterInstance, DagsterRun, RunRequest
from floe_core.secrets import may_hold_secret, scrub
from floe_core.triggers import SourceEvent
from floe_core.triggers.payloads import dagster_run_tags
from floe_core.triggers.spec import DagsterJobTarget, Target

from floe_dagster.triggers.deliver import AwsTarget, deliver, find_delivered

TAG_PREFIX = "floe/trigger/"
SENDING = "sending"
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5  # doubled after each failed attempt: 0.5 s, 1 s (bounded: the tick must end)
Log = Callable[[str], None]


def trigger_key(kind: str, index: int, target: Target) -> str:
    return f"{kind}.{index}.{target.type}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class TriggerSender:
    def __init__(self, instance: DagsterInstance, info: Log, warning: Log) -> None:
        self._instance, self._info, self._warning = instance, info, warning

    def send(
        self, run: DagsterRun, kind: str, targets: Sequence[Target], event: SourceEvent
    ) -> list[RunRequest]:
        """Send every target not yet recorded on `run`; the run requests of its `dagster_job` targets."""
        fresh = self._instance.get_run_by_id(run.run_id)
        tags = dict((fresh or run).tags)
        requests = []
        for index, target in enumerate(targets):
            key = trigger_key(kind, index, target)
            if isinstance(target, DagsterJobTarget):
                requests.append(_run_request(run, key, target, event))
                continue
            state = tags.get(TAG_PREFIX + key, "")
            if state and not state.startswith(SENDING):
                self._info(f"trigger {key} of run {run.run_id} already recorded ({state[:80]}): skipped")
                continue
            if state.startswith(SENDING):
                found = self._lookup(target, event, key)
                if found is not None:
                    self._record(run, key, f"delivered {_now()}: {found}")
                    continue
                self._warning(
                    f"trigger {key} of run {run.run_id} was being sent when the evaluation stopped; sending"
                    " again with the same identity"
                )
            self._record(run, key, f"{SENDING} {_now()}")
            self._record(run, key, self._send_with_retries(target, event, key))
        return requests

    def _record(self, run: DagsterRun, key: str, state: str) -> None:
        self._instance.add_run_tags(run.run_id, {TAG_PREFIX + key: state[:500]})

    def _lookup(self, target: AwsTarget, event: SourceEvent, key: str) -> str | None:
        try:
            return find_delivered(target, event)
        except Exception as exc:  # cannot tell: send again (same identity)
            self._warning(f"trigger {key}: could not check the target for an earlier send: {safe_error(exc)}")
            return None

    def _send_with_retries(self, target: AwsTarget, event: SourceEvent, key: str) -> str:
        error = ""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                answer = deliver(target, event, key)
            except Exception as exc:  # one failing trigger never stops the others
                error = safe_error(exc)
                self._warning(
                    f"trigger {key} ({target.type}) for {event.job_name} run {event.run_id}: attempt"
                    f" {attempt}/{ATTEMPTS} failed: {error}"
                )
                if attempt < ATTEMPTS:
                    time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                continue
            self._info(
                f"trigger {key} ({target.type}) for {event.job_name} run {event.run_id}: attempt {attempt}"
                f" delivered: {answer}"
            )
            return f"delivered {_now()}: {answer}"
        return f"failed {_now()}: {error}"


def _run_request(run: DagsterRun, key: str, target: DagsterJobTarget, event: SourceEvent) -> RunRequest:
    partition = event.resolve(target.partition) if target.partition else None
    return RunRequest(
        run_key=f"{run.run_id}:{key}",
        job_name=target.job,
        tags=dagster_run_tags(target, event),
        partition_key=None if partition is None else str(partition),
    )


def safe_error(exc: Exception) -> str:
    """The error without anything secret-looking (a URL with a token, a credential from the environment)."""
    secrets = [v for k, v in os.environ.items() if v and (may_hold_secret(k) or k.endswith("_URL"))]
    return scrub(f"{type(exc).__name__}: {exc}", secrets)[:300]
