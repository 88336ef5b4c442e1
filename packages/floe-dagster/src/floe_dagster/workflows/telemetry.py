"""OpenLineage events and an OpenTelemetry span per container job attempt, like a dbt model's
(floe_dagster.observability): START when the attempt begins, COMPLETE or FAIL (with the error) when it
ends, in the lineage namespace of floe.yaml; the OpenLineage job is `<workflow>.<job>`, the span's parent
the Dagster run's. Observability never breaks a run: each step is guarded, and it is a no-op when floe.yaml
configures neither lineage nor traces."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, TypeVar

from dagster import OpExecutionContext

from floe_dagster.observability.logging import get_logger

if TYPE_CHECKING:
    from floe_dagster.observability import Observability

T = TypeVar("T")
log = get_logger("floe.workflow")


def _guard(action: Callable[[], T], what: str) -> T | None:
    """A telemetry step; a bug or outage in observability is one warning, never the run's failure."""
    try:
        return action()
    except Exception as exc:
        log.warning(
            "observability step failed; the run continues", step=what, error=f"{type(exc).__name__}: {exc}"
        )
        return None


@contextmanager
def observed_attempt(
    observer: Observability | None, workflow: str, job: str, context: OpExecutionContext
) -> Iterator[None]:
    if observer is None or not observer.enabled:
        yield
        return
    from opentelemetry import trace

    from floe_dagster.observability.telemetry import DagsterRun, MaterializationSpec

    telemetry = observer.telemetry
    name = f"{workflow}.{job}"
    spec = MaterializationSpec(job_name=name, asset_key=name, integration="DAGSTER", job_kind="JOB")
    partition = context.partition_key if context.has_partition_key else None
    run = DagsterRun(run_id=context.run_id, job_name=context.job_name, partition_key=partition)
    m = _guard(lambda: telemetry.begin(spec, run), "emit START")
    scope = (
        trace.use_span(m.span, end_on_exit=False) if m is not None and m.span is not None else nullcontext()
    )
    try:
        with scope:
            yield
    except BaseException as exc:
        if m is not None:
            message = getattr(exc, "description", None) or f"{type(exc).__name__}: {exc}"
            _guard(functools.partial(m.fail, message, exc=exc, language="PYTHON"), "emit FAIL")
        raise
    else:
        if m is not None:
            _guard(m.complete, "emit COMPLETE")
    finally:
        _guard(telemetry.flush, "flush telemetry")
