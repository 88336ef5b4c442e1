"""Downstream triggers (issue 19): the time from an upstream run's SUCCESS to its on_success trigger
delivered, p50/p99 over `n_runs` runs, as deployed: a real `dagster-daemon` evaluating floe's trigger sensors
on runs launched from its own code location (three at a time), and a webhook
target on loopback. Latency = the receiver's arrival time minus the run's end time (the event's `end_date`,
from Dagster's run stats): the SNS + Lambda path it replaces takes seconds.
"""

from __future__ import annotations

import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from receivers import PostReceiver

BIN = Path(sys.executable).parent
CODE = """
import os
from pathlib import Path

from dagster import (DefaultSensorStatus, Definitions, MaterializeResult, RunRequest, RunsFilter, SkipReason,
                     in_process_executor, job, op, sensor, DagsterRunStatus)
from floe_dagster.triggers import build_triggers


@op
def produce(context) -> None:
    context.log.info("done")


@job(executor_def=in_process_executor)
def upstream() -> None:
    produce()


TOTAL = int(os.environ["BENCH_TRIGGER_RUNS"])
IN_FLIGHT = 3  # upstream runs at a time: each is a process loading the code location
ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
          DagsterRunStatus.STARTED]


@sensor(job=upstream, minimum_interval_seconds=1, default_status=DefaultSensorStatus.RUNNING)
def a_few_runs_at_a_time(context):
    launched = context.instance.get_runs_count(RunsFilter(job_name="upstream"))
    if launched >= TOTAL:
        return SkipReason("all launched")
    if context.instance.get_runs_count(RunsFilter(job_name="upstream", statuses=ACTIVE)) >= IN_FLIGHT:
        return SkipReason("enough in flight")
    return RunRequest(run_key=f"bench-{launched}")


triggers = build_triggers(Path(os.environ["BENCH_TRIGGERS_FILE"]), [upstream])
defs = Definitions(jobs=[upstream, *triggers.jobs], sensors=[a_few_runs_at_a_time, *triggers.sensors])
"""


class _Receiver(PostReceiver):
    """The webhook target: latency from the upstream run's end (in the payload) to the first delivery."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.runs: set[str] = set()
        super().__init__()

    def record(self, path: str, body: bytes, arrived: float) -> None:
        event = json.loads(body)
        ended = datetime.fromisoformat(event["source_event"]["end_date"]).timestamp()
        if event["triggered_by_run_id"] not in self.runs:
            self.runs.add(event["triggered_by_run_id"])
            self.latencies.append(arrived - ended)


def _quantile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the sample at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def bench_triggers(work: Path, n_runs: int) -> dict[str, object]:
    root = work / "triggers"
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    # as `floe init --dagster-home` writes it: sensors in threads (the triggers sensor then watches longer)
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nsensors:\n  use_threads: true\n  num_workers: 4\n"
    )
    for stale in home.glob("*"):
        if stale.name != "dagster.yaml":
            subprocess.run(["rm", "-rf", str(stale)], check=True)
    (root / "code.py").write_text(CODE)
    receiver = _Receiver()
    triggers = root / "triggers.json"
    hook = {"type": "webhook", "url_env": "BENCH_HOOK_URL"}
    triggers.write_text(json.dumps({"workflows": {"upstream": {"on_success": [hook]}}}))
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "BENCH_TRIGGER_RUNS": str(n_runs),
        "BENCH_TRIGGERS_FILE": str(triggers),
        "BENCH_HOOK_URL": receiver.url,
    }
    log = (root / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-f", str(root / "code.py")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started = time.monotonic()
    try:
        while len(receiver.latencies) < n_runs:
            if daemon.poll() is not None:
                raise RuntimeError(f"dagster-daemon exited: see {root / 'daemon.log'}")
            if time.monotonic() - started > 60 + 30 * n_runs:
                raise RuntimeError(f"{len(receiver.latencies)}/{n_runs} triggers after the time limit")
            time.sleep(0.5)
    finally:
        os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait()
        log.close()
        receiver.close()
    values = receiver.latencies
    p50, p99 = statistics.median(values), _quantile(values, 0.99)
    return {
        "name": "trigger_latency",
        "target": "p99 < 5 s from upstream SUCCESS to the trigger delivered",
        "runs": n_runs,
        "p50_s": round(p50, 2),
        "p99_s": round(p99, 2),
        "max_s": round(max(values), 2),
        "min_s": round(min(values), 2),
        "over_5s": sum(v >= 5 for v in values),
        "latencies_s": sorted(round(v, 2) for v in values),
        "wall_s": round(time.monotonic() - started, 1),
        "met": p99 < 5,
        "summary": f"p50 {p50:.2f} s, p99 {p99:.2f} s over {n_runs} runs (target p99 < 5 s)"
        + (" — met" if p99 < 5 else " — NOT met"),
    }
