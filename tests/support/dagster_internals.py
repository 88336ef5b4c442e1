"""The one place tests (and the demo's headless runner, through floe_dagster.compat) reach Dagster's private
names; everything else imports `dagster`'s public surface. Each name says why a test needs it; the import of
this module fails, naming the name, when an upgrade moves one (tests/test_private_names.py imports it).

floe's own code keeps its private names in floe_dagster.compat (tested by packages/floe-dagster/tests)."""

from __future__ import annotations

# A node of a job by name, to ask the job's asset layer which assets definition runs in it.
from dagster._core.definitions.dependency import NodeHandle

# Runs a job of a code location in a child process (multiprocess executor) as `dagster dev` does, without a
# module-level factory function for `dagster.reconstructable`: the repository is the floe project's file.
from dagster._core.definitions.reconstruct import ReconstructableRepository

# A backfill's status as the instance stores it (the public API has no status enum for backfills).
from dagster._core.execution.backfill import BulkActionStatus

# The origin a queued run carries when the webserver launched it, to make such a run without a webserver.
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin

# The snapshot the webserver and `dagster definitions validate` build from a repository.
from dagster._core.remote_representation.external_data import RepositorySnap

# Run tags Dagster writes on backfill runs (strings in its storage; no public constants).
from dagster._core.storage.tags import BACKFILL_ID_TAG, PARTITION_NAME_TAG

# Dagster's own cron check, which floe-core's validation must agree with (floe-core imports no dagster).
from dagster._utils.schedules import is_valid_cron_string

__all__ = [
    "BACKFILL_ID_TAG",
    "PARTITION_NAME_TAG",
    "BulkActionStatus",
    "NodeHandle",
    "ReconstructableRepository",
    "RegisteredCodeLocationOrigin",
    "RemoteJobOrigin",
    "RemoteRepositoryOrigin",
    "RepositorySnap",
    "is_valid_cron_string",
]
