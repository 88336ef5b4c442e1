"""`orchestration.schedules`: cron schedules for jobs, with partition selection and automation precedence.

Partitioned jobs: `partition_selector: latest` requests the last complete partition at the tick (for a
multi partition: every key of the latest time window); `all` requests every partition existing at the
tick that this schedule has not launched before (Dagster de-duplicates run keys within one tick only, so a
daily `all` schedule over years of partitions would otherwise launch them all again at every tick).

Automation conditions win over schedules (FR-040): the schedule's run requests exclude the assets an
asset rule automates; when nothing is left, the schedule is created STOPPED. Both cases are logged at load
as a warning naming the schedule, the job and the assets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime

from dagster import (
    AssetKey,
    DagsterInstance,
    DefaultScheduleStatus,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    PartitionsDefinition,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    TimeWindowPartitionsDefinition,
)
from floe_core.spec.orchestration import OrchestrationConfig
from floe_core.spec.orchestration.schedules import ScheduleConfig

from floe_dagster.observability.logging import get_logger
from floe_dagster.orchestration.jobs import BuiltJob

log = get_logger("floe.schedules")
FLOE_SCHEDULE_TAG = "floe/schedule"
PARTITION_TAG = "dagster/partition"  # the tag Dagster puts on every partitioned run (documented tag name)


def build_schedules(
    config: OrchestrationConfig, jobs: dict[str, BuiltJob], automated: Collection[AssetKey]
) -> list[ScheduleDefinition]:
    return [
        build_schedule(name, spec, jobs[spec.job], automated)
        for name, spec in config.schedules.items()
        if spec.job in jobs  # an unbuildable job was already reported
    ]


def build_schedule(
    name: str, spec: ScheduleConfig, built: BuiltJob, automated: Collection[AssetKey]
) -> ScheduleDefinition:
    overlap = sorted(k.to_user_string() for k in built.keys & set(automated))
    remaining = sorted(built.keys - set(automated), key=lambda k: k.to_user_string())
    status = DefaultScheduleStatus.RUNNING if spec.enabled else DefaultScheduleStatus.STOPPED
    if overlap:
        turned_off = not remaining
        log.warning(
            "automation condition takes precedence over schedule",
            schedule=name,
            job=spec.job,
            assets=overlap,
            effect="schedule stopped: every asset of the job is automated"
            if turned_off
            else "schedule runs exclude the automated assets",
        )
        if turned_off:
            status = DefaultScheduleStatus.STOPPED
    selection = remaining if overlap and remaining else None

    def evaluate(context: ScheduleEvaluationContext) -> Iterator[RunRequest | SkipReason]:
        tags = {FLOE_SCHEDULE_TAG: name}
        if built.partitions_def is None:
            yield RunRequest(tags=tags, asset_selection=selection)
            return
        tick = context.scheduled_execution_time
        keys = list(partition_keys(built.partitions_def, spec.partition_selector, tick, context.instance))
        if not keys:
            yield SkipReason(f"no {spec.partition_selector} partition exists yet at {tick.isoformat()}")
            return
        if spec.partition_selector == "all":
            launched = launched_partitions(context.instance, name)
            keys = [k for k in keys if k not in launched]
            if not keys:
                yield SkipReason(
                    f"every partition existing at {tick.isoformat()} was launched by {name} before"
                )
        for key in keys:
            yield RunRequest(run_key=f"{name}:{key}", partition_key=key, tags=tags, asset_selection=selection)

    return ScheduleDefinition(
        name=name,
        cron_schedule=spec.cron,
        job=built.definition,
        execution_fn=evaluate,
        execution_timezone=spec.timezone,
        default_status=status,
        description=spec.description or f"runs job {spec.job} on '{spec.cron}' ({spec.timezone})",
    )


def launched_partitions(instance: DagsterInstance, schedule: str) -> set[str]:
    """Partition keys of the runs this schedule launched (any status: `all` launches each partition once;
    re-running a failed one is a backfill's or a person's decision)."""
    records = instance.get_run_records(RunsFilter(tags={FLOE_SCHEDULE_TAG: schedule}))
    return {key for r in records if (key := r.dagster_run.tags.get(PARTITION_TAG))}


def partition_keys(
    pdef: PartitionsDefinition, selector: str, at: datetime, store: DagsterInstance
) -> Iterator[str]:
    """The partition keys a tick at `at` requests: the latest one(s), or all existing at `at`.

    "Latest" for a time window is the last *complete* window at `at` (Dagster only lists windows that
    have ended), so a daily schedule at 02:00 processes yesterday.
    """
    keys = pdef.get_partition_keys(current_time=at, dynamic_partitions_store=store)
    if selector == "all":
        yield from keys
    elif isinstance(pdef, MultiPartitionsDefinition):
        yield from _latest_multi(pdef, keys, at)
    else:
        yield from keys[-1:]


def _latest_multi(pdef: MultiPartitionsDefinition, keys: Sequence[str], at: datetime) -> Iterator[str]:
    time_dims = [
        d for d in pdef.partitions_defs if isinstance(d.partitions_def, TimeWindowPartitionsDefinition)
    ]
    if not time_dims:
        yield from keys[-1:]
        return
    dim = time_dims[0]
    latest = dim.partitions_def.get_partition_keys(current_time=at)[-1:]
    for key in keys:
        if isinstance(key, MultiPartitionKey) and [key.keys_by_dimension[dim.name]] == latest:
            yield key
