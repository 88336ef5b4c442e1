"""dbt test results as lineage-only runs, one per tested model, sent while the build runs (SC-004).

A model's tests become one OpenLineage run whose input, the tested dataset, carries
`dataQualityAssertions`. START leaves when the first of those tests starts; COMPLETE as soon as every
test the manifest attaches to the model has reported. Tests that never report in this invocation (not
selected, skipped after a failure) leave their run to `finish()`, at the end of the invocation.
Callers serialize calls (DbtRunObserver's lock).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from floe_dagster.observability.dbt_run.events import NodeEvent
from floe_dagster.observability.lineage import facets
from floe_dagster.observability.lineage.datasets import DatasetFactory
from floe_dagster.observability.lineage.dbt_nodes import DbtManifestView, DbtNode
from floe_dagster.observability.telemetry import DagsterRun, Materialization, MaterializationSpec, Telemetry


@dataclass(frozen=True)
class TestResult:
    name: str
    success: bool
    column: str | None
    started_at: datetime | None
    finished_at: datetime | None


class DbtTestRuns:
    def __init__(
        self,
        *,
        telemetry: Telemetry,
        view: DbtManifestView,
        datasets: DatasetFactory,
        run: DagsterRun,
        job_name: Callable[[DbtNode], str],
        asset_keys: Mapping[str, str],
    ) -> None:
        self.telemetry = telemetry
        self.view = view
        self.datasets = datasets
        self.run = run
        self._job_name = job_name
        self.asset_keys = asset_keys
        self._expected: dict[str, set[str]] | None = None  # tested uid -> its tests' uids (lazy)
        self._results: dict[str, dict[str, TestResult]] = {}  # tested uid -> test uid -> result
        self._open: dict[str, Materialization] = {}
        self._settled: set[str] = set()

    def on_event(self, test: DbtNode, event: NodeEvent) -> None:
        tested = test.attached_node
        if tested is None or tested in self._settled or self.view.get(tested) is None:
            return
        if event.kind == "start" and tested not in self._open:
            self._open[tested] = self._begin(tested, event.started_at)
        elif event.kind == "result":
            results = self._results.setdefault(tested, {})
            # stdout and the dbt.log tail may both report an errored test: count it once
            results.setdefault(test.unique_id, self._result(test, event))
            if set(results) >= self._expected_of(tested):
                self._settle(tested)

    def finish(self) -> None:
        """End of the invocation: settle runs whose tests did not all report."""
        for tested in sorted(set(self._results) | set(self._open)):
            if tested not in self._settled:
                self._settle(tested)

    def _settle(self, tested: str) -> None:
        self._settled.add(tested)
        results = list(self._results.get(tested, {}).values())
        m = self._open.pop(tested, None)
        if not results:  # started, but dbt reported none of its tests (the invocation died)
            if m is not None:
                m.fail("dbt did not report a result for these tests")
            return
        starts = [r.started_at for r in results if r.started_at]
        ends = [r.finished_at for r in results if r.finished_at]
        if m is None:
            m = self._begin(tested, min(starts) if starts else None)
        node = self.view.get(tested)
        assert node is not None  # on_event only records tests of known nodes
        assertions = facets.assertions([(r.name, r.success, r.column) for r in results])
        tested_input = self.datasets.input(node, {"dataQualityAssertions": assertions})
        m.complete(max(ends) if ends else None, inputs=[tested_input])

    def _begin(self, tested: str, started_at: datetime | None) -> Materialization:
        node = self.view.get(tested)
        assert node is not None
        spec = MaterializationSpec(
            job_name=f"{self._job_name(node)}.test",
            asset_key=self.asset_keys.get(tested, node.name),
            integration="DBT",
            job_kind="TEST",
            unique_id=tested,
            inputs=[self.datasets.input(node)],
            traced=False,
        )
        return self.telemetry.begin(spec, self.run, started_at)

    def _expected_of(self, tested: str) -> set[str]:
        if self._expected is None:
            self._expected = {}
            for node in self.view.nodes.values():
                if node.resource_type == "test" and node.attached_node:
                    self._expected.setdefault(node.attached_node, set()).add(node.unique_id)
        return self._expected.get(tested, set())

    @staticmethod
    def _result(test: DbtNode, event: NodeEvent) -> TestResult:
        return TestResult(
            test.test_name or test.name,
            event.succeeded,
            test.column_name,
            event.started_at,
            event.finished_at,
        )
