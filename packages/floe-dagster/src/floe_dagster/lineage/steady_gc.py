"""Keep CPython's full garbage collections from stalling lineage while dbt runs (SC-004 latency tail).

A step process holds the whole code location (Dagster definitions, the dbt manifest, ...): hundreds of
thousands of long-lived objects. Every so often the cyclic collector rescans all of them in one oldest-
generation pass; at 200 models that pass took 150-270 ms, with the GIL held, so dbt's next events sat
unread and a whole burst of OpenLineage events arrived late (bench: p99 250 ms; see bench/notes.md).

During an observed dbt invocation the objects that were alive before it are moved out of the
collector's view (`gc.freeze()`), so a collection only scans what the step allocates since; when the
invocation ends they are handed back (`gc.unfreeze()`), so garbage among them is still collected, later.
Nothing is collected less, only at another time; reference counting frees acyclic garbage as always.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
