"""`floe backfill <name> --submit`: the named backfill as a Dagster asset backfill on the instance.

Instead of running batches in the CLI process, this records a PartitionBackfill (status REQUESTED) that
the Dagster daemon of `dagster dev` (or a deployment) picks up, exactly like a backfill launched from the
UI. The daemon splits it into runs by each asset's backfill policy (asset rules' `backfill_policy`), not
by `batch_size`, which only the in-process mode applies.
"""

from __future__ import annotations

import time

from dagster import DagsterInstance, Definitions
from dagster._core.execution.backfill import PartitionBackfill
from dagster._core.utils import make_new_backfill_id
from floe_core.spec.orchestration import OrchestrationConfig

from floe_dagster.backfills import BACKFILL_TAG, backfill_plan


def submit_backfill(
    defs: Definitions, config: OrchestrationConfig, name: str, instance: DagsterInstance
) -> PartitionBackfill:
    """Record backfill `name` on `instance` for the daemon; returns the stored PartitionBackfill."""
    plan = backfill_plan(defs, config, name, instance)
    selected = plan.job.asset_layer.selected_asset_keys
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id=make_new_backfill_id(),
        asset_graph=defs.resolve_asset_graph(),
        partition_names=plan.keys,
        asset_selection=sorted(selected, key=lambda k: k.to_user_string()),
        backfill_timestamp=time.time(),
        tags={BACKFILL_TAG: name},
        dynamic_partitions_store=instance,
        all_partitions=False,
        title=f"floe backfill {name}",
        description=f"orchestration.backfills.{name}: job {plan.spec.job}, {len(plan.keys)} partition(s)",
        run_config=None,
    )
    instance.add_backfill(backfill)
    return backfill
