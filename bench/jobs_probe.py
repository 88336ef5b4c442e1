"""Where the cost of floe.yaml jobs comes from: the same 5 asset jobs resolved on plain dagster-dbt and on floe.

`python jobs_probe.py plain|floe` in a prepared synthetic project (env as bench/run.py sets it). Dagster
resolves every asset job against the whole asset graph; this shows that cost is the same without floe.
"""

import os
import runpy
import sys
import time
from pathlib import Path

from dagster import AssetSelection, Definitions, define_asset_job

which = sys.argv[1]
sels = ["group:g0", "tag:t1 and group:g7", "+key:m_00194", "group:g3", "tag:t4 and group:g28"]
if which == "floe":
    from floe_dagster import FloeDefinitions

    base = FloeDefinitions.from_compiled_artifacts(os.environ["BENCH_ARTIFACTS"])
else:
    base = runpy.run_path(str(Path(__file__).with_name("plain_definitions.py")))["defs"]
jobs = [define_asset_job(f"job_{i}", selection=AssetSelection.from_string(s)) for i, s in enumerate(sels)]
defs = Definitions.merge(base, Definitions(jobs=jobs))
repo = defs.get_repository_def()
t = time.perf_counter()
for j in jobs:
    repo.get_job(j.name)
print(which, "5 jobs resolved in", round(time.perf_counter() - t, 2), "s")
