"""Materialize every asset of a definitions file in this process; exit 1 if the run fails.

Used by the benchmarks so both sides (floe and plain dagster-dbt) run through the exact same path:
`python bench/materialize.py path/to/definitions.py`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from dagster import DagsterInstance, Definitions


def load_defs(path: Path) -> Definitions:
    spec = importlib.util.spec_from_file_location("bench_defs", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    defs = module.defs
    assert isinstance(defs, Definitions)
    return defs


def main() -> int:
    defs = load_defs(Path(sys.argv[1]))
    job = defs.resolve_implicit_global_asset_job_def()
    # In-memory run storage: both sides measured without SQLite's event-log writes and their noise.
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
