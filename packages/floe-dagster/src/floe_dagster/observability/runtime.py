"""The run-time half of observability: OpenLineage events + OpenTelemetry spans around materializations.

Imported only when a materialization actually runs with lineage or traces on (see `floe_dagster.observability`,
the load-time facade), so loading a code location pays for none of openlineage, the OTel SDK or sqlglot.
- `observe_dbt(context, invocation)` inside the dbt multi-asset: yields the very Dagster events
  `invocation.stream()` would, while tapping dbt's raw structured events for per-model lineage/spans;
- `observe_python()` around every Python asset's compute.
Observability never breaks a run: any failure inside floe's own telemetry code is logged and swallowed.
"""

from __future__ import annotations

import functools
import signal
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from dagster import (
    AssetExecutionContext,
    AssetKey,
)
from dagster_dbt import DbtCliEventMessage, DbtCliInvocation
from openlineage.client.event_v2 import InputDataset, OutputDataset
from opentelemetry import trace

from floe_dagster.compat import DbtEventIterator
from floe_dagster.keys import dbt_unique_ids
from floe_dagster.observability.dbt_run.event_pump import DbtEventPump
from floe_dagster.observability.dbt_run.events import parse_event
from floe_dagster.observability.dbt_run.latency_guards import dbt_step_guards
from floe_dagster.observability.dbt_run.log_tail import DbtLogTail
from floe_dagster.observability.dbt_run.observer import DbtRunObserver
from floe_dagster.observability.lineage.datasets import DatasetFactory
from floe_dagster.observability.lineage.dbt_nodes import manifest_view
from floe_dagster.observability.lineage.key_index import DbtKeyIndex, index_assets
from floe_dagster.observability.logging import get_logger
from floe_dagster.observability.telemetry import DagsterRun, MaterializationSpec, Telemetry

log = get_logger("floe.observability")
T = TypeVar("T")


class ObservationRuntime:
    """What runs inside a materialization when lineage or traces are on (built on a step's first use)."""

    def __init__(
        self,
        telemetry: Telemetry,
        datasets: DatasetFactory,
        level: Literal["per_model", "job_level"] = "per_model",
    ) -> None:
        self.telemetry = telemetry
        self.datasets = datasets
        self.level = level

    # -- dbt -----------------------------------------------------------------------------------------
    def observe_dbt(self, context: AssetExecutionContext, invocation: DbtCliInvocation) -> Iterator[Any]:
        # dbt was just spawned: anything it logs for this invocation is later than now
        started = datetime.now(UTC)
        return DbtEventIterator(self._observed_dbt(context, invocation, started), invocation)

    def _observed_dbt(
        self, context: AssetExecutionContext, invocation: DbtCliInvocation, started: datetime
    ) -> Iterator[Any]:
        # GC passes over the code location and slow GIL hand-offs would delay dbt's events: latency_guards
        with dbt_step_guards():
            yield from self._observed_dbt_events(context, invocation, started)

    def _observed_dbt_events(
        self, context: AssetExecutionContext, invocation: DbtCliInvocation, started: datetime
    ) -> Iterator[Any]:
        # dbt is still starting up: set up exporters now rather than on its first node's event
        _guard(self.telemetry.warm_up, "start telemetry")
        observer = _guard(lambda: self._dbt_observer(context, invocation, started), "start dbt observation")
        if observer is not None:
            _guard(observer.start, "emit dbt job START")
        tail = _guard(lambda: self._tail_dbt_log(invocation, observer, started), "tail dbt log")

        def observe(event: DbtCliEventMessage) -> None:
            parsed = parse_event(event.raw_event) if observer is not None else None
            if parsed is not None and observer is not None:
                _guard(functools.partial(observer.on_event, parsed), "observe dbt event")

        # dbt's stdout is read (and observed) on the pump's thread, as dbt writes it; see dbt_event_pump
        pump = DbtEventPump(invocation.stream_raw_events(), observe).start()
        error: BaseException | None = None
        try:
            for event in pump:
                if observer is not None:
                    observer.log.replay()
                yield from event.to_default_asset_events(
                    manifest=invocation.manifest,
                    dagster_dbt_translator=invocation.dagster_dbt_translator,
                    context=invocation.context,
                    target_path=invocation.target_path,
                    project=invocation.project,
                )
        except BaseException as exc:
            error = exc
            # The step stops here (interrupted, or failed handling an event): so does dbt, as with
            # dagster-dbt, whose stdout read (now on the pump's thread) forwarded interrupts to dbt.
            _guard(functools.partial(_interrupt_dbt, invocation, exc), "stop dbt")
            raise
        finally:
            pump.close()
            if tail is not None:
                _guard(tail.stop, "stop dbt log tail")
            if observer is not None:
                _guard(lambda: observer.finish(error), "finish dbt observation")
                _guard(observer.log.replay, "write dbt observation logs")
            _guard(self.telemetry.flush, "flush telemetry")

    def _tail_dbt_log(
        self, invocation: DbtCliInvocation, observer: DbtRunObserver | None, started: datetime
    ) -> DbtLogTail | None:
        """per_model: follow dbt.log so a failed model's FAIL is sent when it fails, not at the run's end."""
        if observer is None or self.level != "per_model":
            return None

        def on_event(raw: Mapping[str, Any]) -> None:
            parsed = parse_event(raw)
            # Only failures: stdout already brings starts and successes promptly, and test results
            # must be counted once.
            if parsed is not None and parsed.kind == "result" and parsed.status == "error" and parsed.message:
                _guard(functools.partial(observer.on_event, parsed), "observe dbt log event")

        # dagster-dbt points DBT_LOG_PATH at the invocation's target path
        path = Path(invocation.target_path) / "dbt.log"
        return DbtLogTail(path, on_event, not_before=started).start()

    def _dbt_observer(
        self, context: AssetExecutionContext, invocation: DbtCliInvocation, started: datetime
    ) -> DbtRunObserver:
        keys = dbt_unique_ids(context.assets_def)
        selected = context.selected_asset_keys
        return DbtRunObserver(
            telemetry=self.telemetry,
            view=manifest_view(invocation.manifest),
            datasets=self.datasets,
            run=_dagster_run(context),
            target_path=invocation.target_path,
            level=self.level,
            asset_keys={uid: key.to_user_string() for uid, key in keys.items()},
            step_name=context.op_def.name,
            selected=[uid for uid, key in keys.items() if key in selected],
            started=started,
        )

    # -- Python assets ---------------------------------------------------------------------------------
    @contextmanager
    def observe_python(self) -> Iterator[None]:
        telemetry = self.telemetry
        context = AssetExecutionContext.get()
        m = _guard(lambda: telemetry.begin(self._python_spec(context), _dagster_run(context)), "emit START")
        span_scope = trace.use_span(m.span, end_on_exit=False) if m and m.span else nullcontext()
        try:
            with span_scope:
                yield
        except BaseException as exc:
            if m is not None:
                message = f"{type(exc).__name__}: {exc}"
                stack = traceback.format_exc()
                _guard(
                    functools.partial(m.fail, message, exc=exc, language="PYTHON", stack=stack), "emit FAIL"
                )
            raise
        else:
            if m is not None:
                _guard(m.complete, "emit COMPLETE")
                log.info(
                    "asset materialized",
                    asset_key=m.spec.asset_key,
                    openlineage_run_id=m.run_id,
                    trace_id=m.trace_id or "",
                    span_id=m.span_id or "",
                )
        finally:
            _guard(telemetry.flush, "flush telemetry")

    def _python_spec(self, context: AssetExecutionContext) -> MaterializationSpec:
        selected = context.selected_asset_keys
        specs = [s for s in context.assets_def.specs if s.key in selected]
        upstream = sorted({d.asset_key for s in specs for d in s.deps} - selected, key=lambda k: k.path)
        index = _dbt_index(context)
        label = ", ".join(s.key.to_user_string() for s in specs)
        return MaterializationSpec(
            job_name=".".join(specs[0].key.path) if len(specs) == 1 else context.op_def.name,
            asset_key=label,
            integration="DAGSTER",
            job_kind="ASSET",
            inputs=[self._input(key, index.nodes_by_key.get(key)) for key in upstream],
            outputs=[self._output(s.key, index.nodes_by_key.get(s.key)) for s in specs],
        )

    def _input(self, key: AssetKey, node: Any) -> InputDataset:
        if node is not None:
            return self.datasets.input(node)
        return InputDataset(namespace=self._asset_namespace(), name=key.to_user_string())

    def _output(self, key: AssetKey, node: Any) -> OutputDataset:
        if node is not None:
            return self.datasets.output(node, None, [])
        return OutputDataset(namespace=self._asset_namespace(), name=key.to_user_string())

    def _asset_namespace(self) -> str:
        """Assets floe cannot place in the warehouse are named by key in the lineage namespace."""
        return f"dagster://{self.telemetry.namespace}"


def _interrupt_dbt(invocation: DbtCliInvocation, reason: BaseException) -> None:
    """SIGINT to a dbt process still running, then a bounded wait (dagster-dbt's own interrupt handling)."""
    process = invocation.process
    if process.poll() is None:
        log.info("stopping dbt", command=invocation.dbt_command, reason=type(reason).__name__)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=invocation.termination_timeout_seconds)


def _dagster_run(context: AssetExecutionContext) -> DagsterRun:
    partition = context.partition_key if context.has_partition_key else None
    return DagsterRun(run_id=context.run.run_id, job_name=context.job_name, partition_key=partition)


def _dbt_index(context: AssetExecutionContext) -> DbtKeyIndex:
    """dbt nodes by asset key across the code location (or the job, when run without a repository)."""
    try:
        repo = context.repository_def
        return index_assets(repo, repo.assets_defs_by_key.values())
    except Exception:  # e.g. dagster.materialize(): no repository, but the job has the asset graph
        graph = context.job_def.asset_layer.asset_graph
        return index_assets(graph, graph.assets_defs)


def _guard(action: Callable[[], T], what: str) -> T | None:
    """Run a telemetry action; a bug or outage in observability is logged, never raised into the run."""
    try:
        return action()
    except Exception as exc:
        log.warning(
            "observability step failed; the run continues", step=what, error=f"{type(exc).__name__}: {exc}"
        )
        return None
