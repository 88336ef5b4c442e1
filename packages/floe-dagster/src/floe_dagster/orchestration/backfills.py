"""`orchestration.backfills`: validated at load against the job's partitions, launched by `floe backfill`.

A backfill runs in batches of `batch_size` consecutive partitions: one run per batch, a single-partition
run when the batch has one key, else a partition-range run (Dagster's range tags; floe's dbt assets pass
the whole window to dbt as floe_partition_start/end). Runs execute in-process against the Dagster instance
($DAGSTER_HOME), so they appear in the UI, tagged `floe/backfill=<name>`; a batch whose partitions all
succeeded in runs of this backfill is skipped — runs of earlier `floe backfill <name>` calls and runs the
daemon made for `floe backfill <name> --submit` alike — so re-running it resumes after a failure. The runs
log at WARNING to the console unless asked for more: Dagster's DEBUG event stream is in the UI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    DynamicPartitionsDefinition,
    JobDefinition,
    MultiPartitionsDefinition,
    PartitionsDefinition,
    RunsFilter,
    TimeWindowPartitionsDefinition,
)
from floe_core.errors import FloeError, Issue
from floe_core.paths import format_path
from floe_core.spec.orchestration import OrchestrationConfig
from floe_core.spec.orchestration.backfills import BackfillConfig

from floe_dagster.compat import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from floe_dagster.dbt.assets import DbtSlice
from floe_dagster.orchestration.jobs import BatchJobPlan

BACKFILL_TAG = "floe/backfill"
PARTITION_TAG = "dagster/partition"  # the tag Dagster puts on every single-partition run
BATCH_TAG = "floe/backfill_batch"


def validate_backfills(config: OrchestrationConfig, jobs: Mapping[str, BatchJobPlan]) -> list[Issue]:
    """FR-043: every backfill's partitions exist in its job's partitions definition (dynamic: at launch)."""
    issues = []
    for name, spec in config.backfills.items():
        planned = jobs.get(spec.job)
        if planned is None:
            continue  # unknown/unbuildable job already reported
        try:
            backfill_keys(spec, planned.partitions_def, None)
        except ValueError as exc:
            issues.append(Issue(format_path(("orchestration", "backfills", name)), str(exc)))
    return issues


# A dbt step gets one partition key (floe_partition_key); only time windows travel as a range
# (floe_partition_start/end). A run over several static or dynamic keys would build the first key only while
# Dagster marks every key materialized: data silently missing. Such ranges are rejected before deploy.
_ONE_KEY_PER_RUN = (
    "dbt models get one key of static or dynamic partitions per run (var floe_partition_key), so a run over"
    " several keys would build only the first while Dagster marks them all materialized"
)


def _keys_not_ranges(pdef: PartitionsDefinition | None) -> bool:
    return pdef is not None and not isinstance(
        pdef, TimeWindowPartitionsDefinition | MultiPartitionsDefinition
    )


def dbt_range_issues(
    config: OrchestrationConfig,
    partitions: Mapping[str, PartitionsDefinition],
    slices: Sequence[DbtSlice],
    jobs: Mapping[str, BatchJobPlan],
) -> list[Issue]:
    """A backfill_policy or backfill batch that would give a dbt step several static/dynamic keys."""
    issues = []
    for dbt_slice in slices:
        policy = dbt_slice.backfill_policy
        if not _keys_not_ranges(dbt_slice.partitions_def) or policy is None:
            continue
        if policy.max_partitions_per_run == 1:
            continue
        for index, rule in enumerate(config.assets):
            if (
                rule.backfill_policy is not None
                and rule.partitions is not None
                and partitions.get(rule.partitions) is dbt_slice.partitions_def
                and (rule.backfill_policy.max_partitions_per_run != 1)
            ):
                path = format_path(("orchestration", "assets", index, "backfill_policy"))
                got = rule.backfill_policy.max_partitions_per_run or "one run for all"
                issues.append(
                    Issue(
                        path,
                        f"{_ONE_KEY_PER_RUN}: set max_partitions_per_run: 1 (partitions '{rule.partitions}')",
                        got,
                    )
                )
    dbt_keys = {spec.key for dbt_slice in slices for spec in dbt_slice.specs}
    for name, spec in config.backfills.items():
        planned = jobs.get(spec.job)
        if planned is None or spec.batch_size == 1 or not _keys_not_ranges(planned.partitions_def):
            continue
        if planned.keys & dbt_keys:
            path = format_path(("orchestration", "backfills", name, "batch_size"))
            issues.append(
                Issue(path, f"{_ONE_KEY_PER_RUN}: use batch_size: 1 for job '{spec.job}'", spec.batch_size)
            )
    return list({(i.path, i.message): i for i in issues}.values())


def backfill_keys(
    spec: BackfillConfig, pdef: PartitionsDefinition | None, instance: DagsterInstance | None
) -> list[str]:
    """The partition keys of the backfill in partition order; ValueError saying what is wrong."""
    if pdef is None:
        raise ValueError(f"job '{spec.job}' has no partitioned asset: a backfill needs a partitioned job")
    if isinstance(pdef, DynamicPartitionsDefinition) and instance is None:
        return []  # keys live in the Dagster instance; checked by `floe backfill`
    existing = pdef.get_partition_keys(dynamic_partitions_store=instance)
    index = {key: i for i, key in enumerate(existing)}
    if spec.keys:
        unknown = [k for k in spec.keys if k not in index]
        if unknown:
            raise ValueError(f"unknown partition keys {unknown} for job '{spec.job}'; {_describe(existing)}")
        return sorted(set(spec.keys), key=index.__getitem__)
    assert spec.start is not None and spec.end is not None
    if isinstance(pdef, MultiPartitionsDefinition):
        raise ValueError("a multi-partitioned job cannot be backfilled by range: list its `keys` ('a|b')")
    for bound, key in (("start", spec.start), ("end", spec.end)):
        if key not in index:
            raise ValueError(
                f"{bound} {key!r} is not a partition key of job '{spec.job}'; {_describe(existing)}"
            )
    if index[spec.start] > index[spec.end]:
        raise ValueError(f"start {spec.start!r} comes after end {spec.end!r}")
    return list(existing[index[spec.start] : index[spec.end] + 1])


def _describe(existing: Sequence[str]) -> str:
    if not existing:
        return "the job has no partitions yet"
    if len(existing) > 6:
        return f"{len(existing)} keys from {existing[0]!r} to {existing[-1]!r}, e.g. {existing[1]!r}"
    return f"keys: {existing}"


def batches(
    keys: list[str], batch_size: int, pdef: PartitionsDefinition, instance: DagsterInstance
) -> list[list[str]]:
    """Consecutive keys, at most batch_size each; a gap in explicit keys starts a new batch (ranges are
    contiguous), and multi partitions always run one key per batch (no ranges across two dimensions)."""
    size = 1 if isinstance(pdef, MultiPartitionsDefinition) else batch_size
    order = {k: i for i, k in enumerate(pdef.get_partition_keys(dynamic_partitions_store=instance))}
    out: list[list[str]] = []
    for key in keys:
        last = out[-1] if out else None
        if last is not None and len(last) < size and order[key] == order[last[-1]] + 1:
            last.append(key)
        else:
            out.append([key])
    return out


@dataclass
class BatchResult:
    keys: list[str]
    status: str  # SUCCESS, FAILURE, SKIPPED (already succeeded)
    run_id: str | None = None  # None for SKIPPED: the partitions may have succeeded over several runs


@dataclass
class BackfillReport:
    name: str
    results: list[BatchResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status != "FAILURE" for r in self.results)

    def summary(self) -> str:
        ran = [r for r in self.results if r.status != "SKIPPED"]
        failed = [r for r in ran if r.status == "FAILURE"]
        skipped = len(self.results) - len(ran)
        partitions = sum(len(r.keys) for r in self.results)
        done = f", {skipped} batch(es) already done" if skipped else ""
        return (
            f"backfill {self.name}: {partitions} partition(s): {len(ran)} run(s){done}, {len(failed)} failed"
        )


@dataclass(frozen=True)
class BackfillPlan:
    """A named backfill resolved against the definitions and the instance (dynamic keys live there)."""

    spec: BackfillConfig
    job: JobDefinition
    partitions_def: PartitionsDefinition
    keys: list[str]


def backfill_plan(
    defs: Definitions, config: OrchestrationConfig, name: str, instance: DagsterInstance
) -> BackfillPlan:
    """Backfill `name`'s job and partition keys; FloeError naming floe.yaml's entry when it cannot run."""
    spec = config.backfills.get(name)
    if spec is None:
        known = sorted(config.backfills) or "none"
        raise FloeError(f"unknown backfill {name!r}; defined in floe.yaml orchestration.backfills: {known}")
    job_def = defs.resolve_job_def(spec.job)
    pdef = job_def.partitions_def
    try:
        keys = backfill_keys(spec, pdef, instance)
    except ValueError as exc:
        raise FloeError(f"orchestration.backfills.{name}: {exc}") from None
    if not keys or pdef is None:
        raise FloeError(
            f"orchestration.backfills.{name}: no partition to backfill (dynamic partitions empty?)"
        )
    return BackfillPlan(spec, job_def, pdef, keys)


def run_backfill(
    defs: Definitions,
    config: OrchestrationConfig,
    name: str,
    instance: DagsterInstance,
    *,
    progress: Callable[[int, int, BatchResult], None] = lambda i, n, r: None,
    log_level: str = "WARNING",
) -> BackfillReport:
    """Run every batch of backfill `name` on `instance` (in order), skipping batches already done."""
    plan = backfill_plan(defs, config, name, instance)
    todo = batches(plan.keys, plan.spec.batch_size, plan.partitions_def, instance)
    succeeded = succeeded_partitions(instance, name, plan.partitions_def)
    report = BackfillReport(name)
    for i, batch in enumerate(todo, start=1):
        if succeeded.issuperset(batch):
            result = BatchResult(batch, "SKIPPED")
        else:
            result = _run_batch(plan.job, name, batch, instance, log_level)
        report.results.append(result)
        progress(i, len(todo), result)
    return report


def succeeded_partitions(instance: DagsterInstance, name: str, pdef: PartitionsDefinition) -> set[str]:
    """Partition keys covered by successful runs tagged `floe/backfill=<name>`: single-partition runs and
    partition-range runs (floe's batches, or the daemon's runs of a submitted backfill)."""
    order = pdef.get_partition_keys(dynamic_partitions_store=instance)
    index = {key: i for i, key in enumerate(order)}
    done: set[str] = set()
    records = instance.get_run_records(
        RunsFilter(tags={BACKFILL_TAG: name}, statuses=[DagsterRunStatus.SUCCESS])
    )
    for record in records:
        tags = record.dagster_run.tags
        if key := tags.get(PARTITION_TAG):
            done.add(key)
        start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
        if start in index and end in index:
            done.update(order[index[start] : index[end] + 1])
    return done


def _run_batch(
    job_def: JobDefinition, name: str, batch: list[str], instance: DagsterInstance, log_level: str
) -> BatchResult:
    label = batch[0] if len(batch) == 1 else f"{batch[0]}...{batch[-1]}"
    tags = {BACKFILL_TAG: name, BATCH_TAG: label}
    if len(batch) > 1:
        tags |= {ASSET_PARTITION_RANGE_START_TAG: batch[0], ASSET_PARTITION_RANGE_END_TAG: batch[-1]}
    result = job_def.execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        instance=instance,
        partition_key=batch[0] if len(batch) == 1 else None,
        tags=tags,
        raise_on_error=False,
    )
    return BatchResult(batch, "SUCCESS" if result.success else "FAILURE", result.run_id)
