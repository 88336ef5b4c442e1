"""Cross references inside `orchestration:` (names of partitions, jobs) and run-trigger cycles.

Checked after every field validated; all problems are raised together as one pydantic ValidationError
whose locations are the floe.yaml paths (relative to `orchestration`), so `floe validate` lists each one.
Checks that need the asset graph (selections resolving to assets, backfill ranges vs partition keys)
happen when floe-dagster builds the Definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from floe_core.spec.orchestration.jobs import BatchJob
from floe_core.spec.orchestration.partitions import MultiPartitions, TimeWindowPartitions
from floe_core.spec.orchestration.sensors import RunStatusSensor

if TYPE_CHECKING:
    from floe_core.spec.orchestration import OrchestrationConfig

Loc = tuple[str | int, ...]


class _Collector:
    def __init__(self) -> None:
        self.errors: list[InitErrorDetails] = []

    def add(self, loc: Loc, message: str, value: object) -> None:
        error = PydanticCustomError("floe_reference", message)
        self.errors.append(InitErrorDetails(type=error, loc=loc, input=value))

    def unknown(self, loc: Loc, kind: str, name: str, known: Mapping[str, object]) -> None:
        listing = ", ".join(sorted(known)) or "none defined"
        plural = kind if kind.endswith("s") else f"{kind}s"
        self.add(loc, f"unknown {kind} '{name}'; defined {plural}: {listing}", name)


def check_references(config: OrchestrationConfig) -> None:
    """Raise a ValidationError listing every dangling reference and run-trigger cycle."""
    out = _Collector()
    _partitions(config, out)
    for i, rule in enumerate(config.assets):
        if rule.partitions is not None and rule.partitions not in config.partitions:
            out.unknown(("assets", i, "partitions"), "partitions", rule.partitions, config.partitions)
    for name, schedule in config.schedules.items():
        if schedule.job not in config.jobs:
            out.unknown(("schedules", name, "job"), "job", schedule.job, config.jobs)
    _sensors(config, out)
    for name, backfill in config.backfills.items():
        job = config.jobs.get(backfill.job)
        if job is None:
            out.unknown(("backfills", name, "job"), "job", backfill.job, config.jobs)
        elif not isinstance(job, BatchJob):
            out.add(
                ("backfills", name, "job"),
                f"job '{backfill.job}' is an ops job: backfills need a batch job",
                backfill.job,
            )
    _cycles(config, out)
    if out.errors:
        raise ValidationError.from_exception_data("OrchestrationConfig", out.errors)


def _partitions(config: OrchestrationConfig, out: _Collector) -> None:
    for name, part in config.partitions.items():
        if not isinstance(part, MultiPartitions):
            continue
        time_dims = 0
        for dim, ref in part.dimensions.items():
            loc: Loc = ("partitions", name, "dimensions", dim)
            target = config.partitions.get(ref)
            if target is None:
                out.unknown(loc, "partitions", ref, config.partitions)
            elif isinstance(target, MultiPartitions):
                out.add(
                    loc, f"dimension '{dim}' refers to multi partitions '{ref}': dimensions cannot nest", ref
                )
            time_dims += isinstance(target, TimeWindowPartitions)
        if time_dims > 1:
            out.add(
                ("partitions", name, "dimensions"),
                "at most one time_window dimension is supported",
                part.dimensions,
            )


def _sensors(config: OrchestrationConfig, out: _Collector) -> None:
    for name, sensor in config.sensors.items():
        job = getattr(sensor, "job", None)
        if job is not None and job not in config.jobs:
            out.unknown(("sensors", name, "job"), "job", job, config.jobs)
        if isinstance(sensor, RunStatusSensor):
            for i, watched in enumerate(sensor.watch):
                if watched not in config.jobs:
                    out.unknown(("sensors", name, "watch", i), "job", watched, config.jobs)


def _cycles(config: OrchestrationConfig, out: _Collector) -> None:
    """A run_status sensor launching a job that (transitively) re-triggers itself loops forever."""
    edges: dict[str, set[str]] = {}
    for sensor in config.sensors.values():
        if isinstance(sensor, RunStatusSensor) and sensor.job is not None:
            for watched in sensor.watch:
                edges.setdefault(watched, set()).add(sensor.job)
    for name, sensor in config.sensors.items():
        if not isinstance(sensor, RunStatusSensor) or sensor.job is None:
            continue
        # Does launching sensor.job lead back to a job this sensor watches?
        seen: set[str] = set()
        stack = [sensor.job]
        while stack:
            job = stack.pop()
            if job in sensor.watch:
                out.add(
                    ("sensors", name, "job"),
                    f"trigger cycle: launching '{sensor.job}' re-triggers this sensor (watches"
                    f" {', '.join(sensor.watch)}); runs would loop forever",
                    sensor.job,
                )
                break
            if job not in seen:
                seen.add(job)
                stack.extend(edges.get(job, ()))
