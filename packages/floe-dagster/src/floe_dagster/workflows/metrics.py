"""Prometheus metrics of container workflows (contract §10.1), read from the Dagster instance at scrape time.

    workflow_job_executions_total{job,status}      container jobs (ops) finished, status success|failure
    workflow_job_duration_seconds{job,quantile}    summary of their durations: quantiles 0.5, 0.95, 0.99
    workflow_jobs_active{workflow}                 container jobs running now
    workflow_jobs_failed_total{workflow}           container jobs failed in the last 24 h
    workflow_queue_length{workflow}                runs of the workflow waiting in the run queue

A custom Collector rather than counters updated by the runs: runs execute in other processes (the daemon's
run workers), and the instance is the one place that knows them all. Each scrape is bounded: it reads the
`max_runs` most recent workflow runs (those tagged floe/workflow_source by build_workflows) and their step
stats, nothing older — so the execution counts and durations cover that window, not all history.
`workflow_jobs_failed_total` is a gauge despite its contract name: a 24-hour window goes down as well as up.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from floe_dagster.orchestration.jobs import WORKFLOW_SOURCE_TAG, WORKFLOW_TAG

DEFAULT_MAX_RUNS = 200
QUANTILES = (0.5, 0.95, 0.99)
FAILED_WINDOW = timedelta(hours=24)
_SOURCES = ["code", "manual"]  # every workflow run carries floe/workflow_source (build.py, floe-api)
_OUTCOME_SUFFIX = "__outcome"  # the continue policy's bookkeeping step, not a container job
# step statuses by their public values (the enum itself lives in dagster._core)
_FINISHED = {"SUCCESS": "success", "FAILURE": "failure"}


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


class WorkflowMetricsCollector(Collector):
    def __init__(
        self,
        instance: DagsterInstance,
        *,
        max_runs: int = DEFAULT_MAX_RUNS,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if max_runs < 1:
            raise ValueError(f"max_runs must be at least 1 (got {max_runs})")
        self._instance = instance
        self._max_runs = max_runs
        self._now = now

    def collect(self) -> Iterable[Metric]:
        records = self._instance.get_run_records(
            filters=RunsFilter(tags={WORKFLOW_SOURCE_TAG: _SOURCES}), limit=self._max_runs
        )
        since = (self._now() - FAILED_WINDOW).timestamp()
        executions: Counter[tuple[str, str]] = Counter()
        durations: dict[str, list[float]] = defaultdict(list)
        active: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        queued: Counter[str] = Counter()
        workflows: set[str] = set()
        for record in records:
            run = record.dagster_run
            workflow = run.tags.get(WORKFLOW_TAG, run.job_name)
            workflows.add(workflow)
            if run.status == DagsterRunStatus.QUEUED:
                queued[workflow] += 1
                continue
            if run.status == DagsterRunStatus.NOT_STARTED:
                continue
            for step in self._instance.get_run_step_stats(run.run_id):
                if step.step_key.endswith(_OUTCOME_SUFFIX):
                    continue
                if (
                    step.status is not None
                    and step.status.value == "IN_PROGRESS"
                    and run.status == DagsterRunStatus.STARTED
                ):
                    active[workflow] += 1
                status = _FINISHED.get(step.status.value) if step.status is not None else None
                if status is None:
                    continue
                executions[(step.step_key, status)] += 1
                if step.start_time is not None and step.end_time is not None:
                    durations[step.step_key].append(max(0.0, step.end_time - step.start_time))
                if status == "failure" and (step.end_time or 0) >= since:
                    failed[workflow] += 1
        yield from _executions(executions)
        yield _durations(durations)
        yield _per_workflow(
            "workflow_jobs_active", "container jobs of the workflow running now", active, workflows
        )
        yield _per_workflow(
            "workflow_jobs_failed_total",
            "container jobs of the workflow failed in the last 24 h",
            failed,
            workflows,
        )
        yield _per_workflow(
            "workflow_queue_length", "runs of the workflow waiting in the run queue", queued, workflows
        )


def _executions(counts: Counter[tuple[str, str]]) -> Iterator[Metric]:
    family = CounterMetricFamily(
        "workflow_job_executions", "container jobs finished, by outcome", labels=["job", "status"]
    )
    for job in sorted({job for job, _ in counts}):
        for status in ("success", "failure"):
            family.add_metric([job, status], counts[(job, status)])
    yield family


def _durations(durations: dict[str, list[float]]) -> Metric:
    # SummaryMetricFamily has no quantiles: build the samples (quantile series, _count, _sum) directly
    name = "workflow_job_duration_seconds"
    family = Metric(name, "duration of finished container jobs", "summary")
    for job in sorted(durations):
        values = durations[job]
        for q in QUANTILES:
            family.add_sample(name, {"job": job, "quantile": str(q)}, quantile(values, q))
        family.add_sample(name + "_count", {"job": job}, float(len(values)))
        family.add_sample(name + "_sum", {"job": job}, sum(values))
    return family


def _per_workflow(name: str, doc: str, counts: Counter[str], workflows: set[str]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=["workflow"])
    for workflow in sorted(workflows):
        family.add_metric([workflow], counts[workflow])
    return family


def serve(
    instance: DagsterInstance, port: int, addr: str = "0.0.0.0", max_runs: int = DEFAULT_MAX_RUNS
) -> Any:
    """Start the endpoint in a background thread; returns the HTTP server (`.shutdown()` stops it)."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkflowMetricsCollector(instance, max_runs=max_runs))
    server, _thread = start_http_server(port, addr=addr, registry=registry)
    return server
