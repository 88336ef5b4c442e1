"""Keep the step process responsive to dbt's event stream while dbt runs (SC-004 latency tail).

Two process-wide settings, applied only for the duration of an observed dbt invocation and restored after.

1. Full garbage collections.

A step process holds the whole code location (Dagster definitions, the dbt manifest, ...): hundreds of
thousands of long-lived objects. Every so often the cyclic collector rescans all of them in one oldest-
generation pass; at 200 models that pass took 150-270 ms, with the GIL held, so dbt's next events sat
unread and a whole burst of OpenLineage events arrived late (bench: p99 250 ms; see bench/notes.md).

During an observed dbt invocation the objects that were alive before it are moved out of the
collector's view (`gc.freeze()`), so a collection only scans what the step allocates since; when the
invocation ends they are handed back (`gc.unfreeze()`), so garbage among them is still collected, later.
Nothing is collected less, only at another time; reference counting frees acyclic garbage as always.

2. Thread switches. The thread reading dbt's events and the lineage senders wait for the GIL behind the
step thread, which handles Dagster's events in pure Python. CPython hands the GIL over after a 5 ms switch
interval; a few such waits per event added up in bursts. 1 ms while dbt runs (bench: p99 70 -> 58 ms, run
time unchanged).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

SWITCH_INTERVAL_SECONDS = 0.001


@contextmanager
def dbt_step_guards() -> Iterator[None]:
    """Both guards, for one observed dbt invocation."""
    with older_objects_frozen(), prompt_thread_switches():
        yield


@contextmanager
def prompt_thread_switches(seconds: float = SWITCH_INTERVAL_SECONDS) -> Iterator[None]:
    """A shorter GIL switch interval for the block (never a longer one than the current)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, seconds))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Freeze the objects alive now for the duration of the block.

    Does nothing when the collector is disabled or something else already froze objects (that code
    owns the permanent generation, and unfreezing it here would undo its choice)."""
    if not gc.isenabled() or gc.get_freeze_count() > 0:
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
