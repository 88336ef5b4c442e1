"""`orchestration.partitions` -> Dagster PartitionsDefinitions, one object per name.

One instance per name matters: the dbt split groups models by partitions definition, and jobs/backfills
compare definitions, so every rule naming `daily` must receive the very same object.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dagster import (
    DynamicPartitionsDefinition,
    MultiPartitionsDefinition,
    PartitionsDefinition,
    StaticPartitionsDefinition,
    TimeWindowPartitionsDefinition,
)
from floe_core.spec.orchestration import OrchestrationConfig
from floe_core.spec.orchestration.partitions import (
    DynamicPartitions,
    MultiPartitions,
    PartitionsConfig,
    StaticPartitions,
    TimeWindowPartitions,
)


def build_partitions(config: OrchestrationConfig) -> dict[str, PartitionsDefinition]:
    """Every named partitions entry as a Dagster definition (multi entries built from their dimensions)."""
    simple = {
        name: _simple(name, part)
        for name, part in config.partitions.items()
        if not isinstance(part, MultiPartitions)
    }
    built: dict[str, PartitionsDefinition] = dict(simple)
    for name, part in config.partitions.items():
        if isinstance(part, MultiPartitions):
            built[name] = MultiPartitionsDefinition(
                {dim: simple[ref] for dim, ref in part.dimensions.items()}
            )
    return built


def _simple(name: str, part: PartitionsConfig) -> PartitionsDefinition:
    if isinstance(part, TimeWindowPartitions):
        return time_window(part)
    if isinstance(part, StaticPartitions):
        return StaticPartitionsDefinition(list(part.keys))
    if isinstance(part, DynamicPartitions):
        return DynamicPartitionsDefinition(name=name)
    raise TypeError(f"unsupported partitions {type(part).__name__}")  # pragma: no cover - union is closed


def time_window(part: TimeWindowPartitions) -> TimeWindowPartitionsDefinition:
    fmt = part.effective_fmt
    return TimeWindowPartitionsDefinition(
        start=_parse(part.start, fmt),
        end=_parse(part.end, fmt) if part.end else None,
        fmt=fmt,
        cron_schedule=part.effective_cron,
        timezone=part.timezone,
    )


def _parse(value: str, fmt: str) -> str:
    # Dagster parses start/end with `fmt`; floe.yaml takes ISO, so re-render ISO in the key format.
    return datetime.fromisoformat(value).strftime(fmt)


def dynamic_names(partitions: Mapping[str, PartitionsDefinition]) -> list[str]:
    return sorted(n for n, p in partitions.items() if isinstance(p, DynamicPartitionsDefinition))


def dynamic_key_patterns(config: OrchestrationConfig) -> dict[str, str]:
    """Dynamic partitions name -> the pattern its keys must match before they reach dbt (partition_keys)."""
    return {name: p.key_pattern for name, p in config.partitions.items() if isinstance(p, DynamicPartitions)}
