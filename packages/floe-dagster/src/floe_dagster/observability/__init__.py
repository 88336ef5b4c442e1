"""The hook dbt and Python asset execution call: OpenLineage events + OpenTelemetry spans per materialization.

The factory calls exactly three things (and merges `sensors()`):
- `Observability.from_artifacts(artifacts)` once per process at definitions load: settings only;
- `observe_dbt(context, invocation)` inside the dbt multi-asset (pure `invocation.stream()` when off);
- `wrap_assets(assets)` for every Python asset: wraps its compute with zero change to the user's code.

Why a facade: every Dagster process loads the definitions (webserver, daemon, each sensor tick, each run
worker), most never materialize. openlineage-python, the OTel SDK, sqlglot and floe's observers are
imported and set up by `observability.runtime` on a process's first observed materialization, not at load.

The package: settings (floe.yaml + OTEL_*/OPENLINEAGE_* env), telemetry (one materialization = one lineage
run + one span), runtime (around dbt and Python), lineage/ (OpenLineage events, datasets, facets),
tracing/ (OpenTelemetry), dbt_run/ (the observed dbt invocation), and logging at the ground floor.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal

from dagster import AssetExecutionContext, AssetsDefinition, SensorDefinition
from dagster_dbt import DbtCliInvocation
from floe_core.artifacts import ActiveTarget, CompiledArtifacts

from floe_dagster.keys import dbt_unique_ids
from floe_dagster.observability.python_assets import wrap_compute
from floe_dagster.observability.settings import (
    LineageSettings,
    TraceSettings,
    resolve_lineage,
    resolve_traces,
)
from floe_dagster.observability.tracing.run_sensor import run_span_sensor
from floe_dagster.project import active_target

if TYPE_CHECKING:
    from floe_dagster.observability.runtime import ObservationRuntime
    from floe_dagster.observability.telemetry import Telemetry


class Observability:
    def __init__(
        self,
        lineage: LineageSettings | None,
        traces: TraceSettings | None,
        *,
        namespace: str,
        target: ActiveTarget,
        classifications: dict[str, dict[str, str]],
        level: Literal["per_model", "job_level"] = "per_model",
    ) -> None:
        self.lineage = lineage
        self.traces = traces
        self.namespace = namespace
        self.target = target
        self.classifications = classifications
        self.compute_target = f"{target.name} ({target.type})"  # on every span
        self.level = level

    @classmethod
    def from_artifacts(cls, artifacts: CompiledArtifacts) -> Observability:
        spec = artifacts.spec
        lineage = resolve_lineage(spec.observability.lineage, spec.name, artifacts.root)
        traces = resolve_traces(spec.observability, spec.name)
        return cls(
            lineage,
            traces,
            namespace=lineage.namespace if lineage else spec.name,
            target=active_target(artifacts),
            classifications={k: dict(v) for k, v in spec.governance.classifications.items()},
            level=spec.orchestration.dbt.observability_level,
        )

    @property
    def enabled(self) -> bool:
        """False: lineage and traces both off, every hook is a pure pass-through."""
        return self.lineage is not None or self.traces is not None

    @functools.cached_property
    def telemetry(self) -> Telemetry:
        from floe_dagster.observability.telemetry import Telemetry

        return Telemetry(self.lineage, self.traces, self.namespace, compute_target=self.compute_target)

    @functools.cached_property
    def runtime(self) -> ObservationRuntime:
        from floe_dagster.observability.lineage.datasets import DatasetFactory
        from floe_dagster.observability.runtime import ObservationRuntime

        datasets = DatasetFactory(self.target, self.classifications)
        return ObservationRuntime(self.telemetry, datasets, self.level)

    def observe_dbt(self, context: AssetExecutionContext, invocation: DbtCliInvocation) -> Iterator[Any]:
        if not self.enabled:
            return invocation.stream()
        return self.runtime.observe_dbt(context, invocation)

    def wrap_assets(self, assets: Sequence[AssetsDefinition]) -> list[AssetsDefinition]:
        if not self.enabled:
            return list(assets)
        return [a if dbt_unique_ids(a) else wrap_compute(a, self._around_python) for a in assets]

    def _around_python(self) -> AbstractContextManager[None]:
        return self.runtime.observe_python()

    def sensors(self) -> list[SensorDefinition]:
        """`floe_run_spans` (exports each finished run's root span) when spans are exported at all."""
        if self.traces is None or not self.traces.endpoint:
            return []
        return [run_span_sensor(lambda: self.telemetry)]
