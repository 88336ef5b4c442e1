"""Turns one dbt invocation's event stream into lineage runs and spans.

per_model: each model/seed/snapshot is its own OpenLineage run and span, timed by dbt's own node
start/finish timestamps; events come from dbt's stdout (read on the dbt_event_pump thread) and from the
dbt.log tail (a failed node's message, see dbt_log_tail), so every entry point takes one lock. dbt test results become
`dataQualityAssertions` on the tested dataset (one lineage-only run per tested model, see dbt_test_runs).
job_level: one run and one span for the whole invocation.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from floe_dagster.observability.dbt_run.events import NodeEvent
from floe_dagster.observability.dbt_run.sql_prefetch import SqlPrefetch
from floe_dagster.observability.dbt_run.step_log import StepLog
from floe_dagster.observability.dbt_run.test_runs import DbtTestRuns
from floe_dagster.observability.lineage import facets
from floe_dagster.observability.lineage.column_lineage import ColumnSource
from floe_dagster.observability.lineage.datasets import DatasetFactory
from floe_dagster.observability.lineage.dbt_nodes import DbtManifestView, DbtNode, compiled_sql
from floe_dagster.observability.logging import get_logger
from floe_dagster.observability.telemetry import DagsterRun, Materialization, MaterializationSpec, Telemetry
from openlineage.client.facet_v2 import JobFacet

_BUILT = {"model", "seed", "snapshot"}


class DbtRunObserver:
    def __init__(
        self,
        *,
        telemetry: Telemetry,
        view: DbtManifestView,
        datasets: DatasetFactory,
        run: DagsterRun,
        target_path: Path,
        level: Literal["per_model", "job_level"],
        asset_keys: Mapping[str, str],  # unique_id -> asset key string
        step_name: str,
        selected: Sequence[str] = (),  # unique ids the invocation builds (job_level START)
        started: datetime | None = None,  # when dbt was spawned: older compiled files are not its SQL
    ) -> None:
        self.telemetry = telemetry
        self.view = view
        self.datasets = datasets
        self.run = run
        self.target_path = target_path
        self.level = level
        self.asset_keys = asset_keys
        self.step_name = step_name
        self.selected = list(selected)
        self._open: dict[str, Materialization] = {}
        self._done: set[str] = set()  # settled nodes: a late start line (other source) must not reopen them
        self._lock = threading.RLock()
        self._errored: dict[str, datetime | None] = {}
        self._errors: dict[str, str] = {}
        self._tests = DbtTestRuns(
            telemetry=telemetry,
            view=view,
            datasets=datasets,
            run=run,
            job_name=self._job_name,
            asset_keys=asset_keys,
        )
        self._job: Materialization | None = None
        self.log = StepLog(get_logger("floe.dbt"))  # replayed by the step's thread: see step_log
        self._prefetch = SqlPrefetch(target_path, started or datetime.now(UTC), self._analyse_sql)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        if self.level != "job_level":
            return
        outputs = [n for uid in self.selected if (n := self.view.get(uid)) and n.resource_type in _BUILT]
        built = {n.unique_id for n in outputs}
        inputs = {u.unique_id: u for n in outputs for u in self.view.upstream_relations(n.unique_id)}
        spec = MaterializationSpec(
            job_name=f"{self._project()}.{self.step_name}",
            asset_key=self.step_name,
            integration="DBT",
            job_kind="JOB",
            inputs=[self.datasets.input(n) for uid, n in sorted(inputs.items()) if uid not in built],
            outputs=[self.datasets.output(n, None, []) for n in outputs],
        )
        self._job = self.telemetry.begin(spec, self.run)

    def on_event(self, event: NodeEvent) -> None:
        with self._lock:
            self._on_event(event)

    def _on_event(self, event: NodeEvent) -> None:
        node = self.view.get(event.unique_id)
        if node is None:
            return
        if node.resource_type == "test":
            self._tests.on_event(node, event)
            return
        if node.resource_type not in _BUILT:
            return
        if event.kind == "error" and event.message:
            self._errors[node.unique_id] = event.message
        if self.level == "job_level":
            return
        uid = node.unique_id
        if event.kind == "start" and uid not in self._open and uid not in self._done:
            self._begin_model(node, event.started_at)
        elif event.kind == "result" and uid not in self._done:
            if uid not in self._open:  # the log tail saw the finish before stdout's start line arrived
                self._begin_model(node, event.started_at)
            self._finish_model(node, event)
        elif event.kind == "error" and node.unique_id in self._errored:
            self._fail_model(node, self._errored.pop(node.unique_id))

    def finish(self, error: BaseException | None) -> None:
        with self._lock:
            self._finish(error)

    def _finish(self, error: BaseException | None) -> None:
        """End of the invocation: settle every open run, then emit test results."""
        now = datetime.now(UTC)
        for uid in list(self._errored):
            node = self.view.get(uid)
            if node is not None:
                self._fail_model(node, self._errored.pop(uid))
        for uid, m in list(self._open.items()):
            if not m.finished:  # started but never reported: the invocation died under it
                m.fail(str(error) if error else "dbt did not report a result for this node", ended_at=now)
                del self._open[uid]
        if self._job is not None:
            if error is None and not self._errors:
                self._job.complete(now)
            else:
                message = "\n\n".join(self._errors.values()) or str(error)
                self._job.fail(message, ended_at=now, exc=error)
        self._tests.finish()
        self._prefetch.stop()

    # -- per model -------------------------------------------------------------------------------
    def _begin_model(self, node: DbtNode, started_at: datetime | None) -> None:
        spec = MaterializationSpec(
            job_name=self._job_name(node),
            asset_key=self.asset_keys.get(node.unique_id, node.name),
            integration="DBT",
            job_kind=node.resource_type.upper(),
            unique_id=node.unique_id,
            inputs=self.datasets.inputs_of(self.view, node),
            outputs=[self.datasets.output(node, None, [])],
        )
        m = self.telemetry.begin(spec, self.run, started_at)
        self._open[node.unique_id] = m
        if node.resource_type != "seed":  # seeds have no compiled SQL
            self._prefetch.want(node)
        self.log.info(
            "dbt node started", unique_id=node.unique_id, openlineage_run_id=m.run_id, **self._ids(m)
        )

    def _finish_model(self, node: DbtNode, event: NodeEvent) -> None:
        m = self._open.get(node.unique_id)
        if m is None or m.finished:
            return
        if event.succeeded:
            sql = compiled_sql(self.target_path, node)
            upstream = self.view.upstream_relations(node.unique_id)
            job_facets: dict[str, JobFacet] = {}
            lineage = None
            if sql:
                job_facets["sql"] = facets.sql(sql, self.datasets.target.sql_dialect)
                lineage = self._prefetch.take(node, sql)
            output = self.datasets.output(node, sql, upstream, lineage)
            m.complete(event.finished_at, [output], job_facets)
            del self._open[node.unique_id]
            self._done.add(node.unique_id)
            self.log.info(
                "dbt node finished",
                unique_id=node.unique_id,
                status=event.status,
                openlineage_run_id=m.run_id,
                **self._ids(m),
            )
        elif event.message or node.unique_id in self._errors:
            if event.message:
                self._errors[node.unique_id] = event.message
            self._fail_model(node, event.finished_at)
        else:
            # dbt reports the error text later (RunResultError in the run summary): wait for it
            self._errored[node.unique_id] = event.finished_at

    def _fail_model(self, node: DbtNode, ended_at: datetime | None) -> None:
        m = self._open.pop(node.unique_id, None)
        if m is None or m.finished:
            return
        self._done.add(node.unique_id)
        message = self._errors.get(node.unique_id) or f"dbt reported an error for {node.unique_id}"
        m.fail(message, ended_at=ended_at)
        self.log.warning(
            "dbt node failed",
            unique_id=node.unique_id,
            error=message,
            openlineage_run_id=m.run_id,
            **self._ids(m),
        )

    def _analyse_sql(self, node: DbtNode, sql: str) -> Mapping[str, Sequence[ColumnSource]]:
        """On the prefetch thread: the heavy part of the model's COMPLETE, while dbt runs the model."""
        return self.datasets.column_lineage(sql, self.view.upstream_relations(node.unique_id))

    # -- helpers ---------------------------------------------------------------------------------
    def _job_name(self, node: DbtNode) -> str:
        return f"{node.package}.{node.name}"

    def _project(self) -> str:
        first = next((n for n in self.view.nodes.values() if n.resource_type == "model"), None)
        return first.package if first else "dbt"

    @staticmethod
    def _ids(m: Materialization) -> dict[str, str]:
        return {"trace_id": m.trace_id or "", "span_id": m.span_id or ""}
