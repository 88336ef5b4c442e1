"""Dagster's own floor for floe.yaml's 50 jobs: the same jobs, built the cheapest way Dagster allows.

Question answered: can any library on Dagster meet "a load with 50 jobs <= 1.2x the load without them" for
the bench's job mixes? Each job is built the cheapest way found: an op holding only the job's models, its
graph built directly (`build_asset_job`, no temporary repository), with the garbage collector off. Two
kinds of assets: floe's own specs with their dbt tests as asset checks (what floe has to carry), and bare
specs (key, deps, group: nothing else). Timed: building the assets, the jobs and the code location's
repository, and the repository snapshot (which `dagster definitions validate` and every code server
take). Not timed: imports, reading the specs. Each sample is a fresh process; sides alternate.

Run after `make bench BENCH_ONLY=load_large` (it needs bench/work/synthetic_5000 with its two jobs variants
and bench/results/load_5000.json): `cd bench && ../.venv/bin/python jobs_floor.py`. Results: notes.md §2.
"""

from __future__ import annotations

import gc
import json
import pickle
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from run import BIN, PAIRS, RESULTS, WORK, base_env

PROJECT = WORK / "synthetic_5000"
MIXES = {"mixed selections": ".floe_jobs", "one group per job": ".floe_group_jobs"}
NO_JOBS = PROJECT / ".floe" / "compiled_artifacts.json"


def _dbt_assets(artifacts: Path) -> tuple[Any, Any]:
    """floe's code location for `artifacts`: its repository and the dbt project's multi-asset."""
    from floe_dagster import FloeDefinitions

    repo = FloeDefinitions.from_compiled_artifacts(artifacts).get_repository_def()
    return repo, max(repo.assets_defs_by_key.values(), key=lambda a: len(a.keys))


def extract(artifacts: Path, out: Path) -> None:
    """Each job's dbt models, as floe selected them, and the models' bare specs."""
    repo, dbt = _dbt_assets(artifacts)
    jobs = {
        job.name: sorted(k for k in job.asset_layer.executable_asset_keys if k in dbt.keys)
        for job in repo.get_all_jobs()
        if not job.name.startswith("__")
    }
    bare = [(s.key, [d.asset_key for d in s.deps], s.group_name) for s in dbt.specs]
    out.write_bytes(pickle.dumps({"bare": bare, "jobs": jobs}))


def measure(data_file: Path, with_jobs: bool, floe_specs: bool) -> float:
    from dagster import AssetCheckSpec, AssetSpec, Definitions, multi_asset
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
    from dagster._core.definitions.assets.job.asset_job import build_asset_job
    from dagster._core.remote_representation.external_data import RepositorySnap

    data = pickle.loads(data_file.read_bytes())
    checks: dict[object, list[AssetCheckSpec]] = {}
    if floe_specs:
        _, dbt = _dbt_assets(NO_JOBS)
        specs = list(dbt.specs)
        for check in dbt.check_specs:
            checks.setdefault(check.asset_key, []).append(check)
    else:
        specs = [AssetSpec(k, deps=deps, group_name=group, skippable=True) for k, deps, group in data["bare"]]
    by_key = {s.key: s for s in specs}
    jobs: Mapping[str, Sequence[object]] = data["jobs"] if with_jobs else {}

    def op(name: str, members: list[AssetSpec]) -> Any:
        own_checks = [c for m in members for c in checks.get(m.key, [])]

        @multi_asset(specs=members, check_specs=own_checks, name=name, can_subset=True)
        def _op():  # type: ignore[no-untyped-def]  # no return annotation: Dagster would read outputs from it
            pass

        return _op

    gc.disable()
    started = time.perf_counter()
    built = [  # the job's models in an op of their own; their parents become stubs of the job's graph
        build_asset_job(
            name,
            AssetGraph.from_assets([op(f"models__{name}", [by_key[k] for k in keys])]),
            allow_different_partitions_defs=False,
        )
        for name, keys in jobs.items()
    ]
    repo = Definitions(assets=[op("models", specs)], jobs=built).get_repository_def()
    RepositorySnap.from_def(repo)
    return time.perf_counter() - started


def sample(data_file: Path, with_jobs: bool, floe_specs: bool) -> float:
    cmd = [str(BIN / "python"), __file__, "measure", str(data_file), str(with_jobs), str(floe_specs)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=base_env(), cwd=PROJECT)
    return float(done.stdout.strip().splitlines()[-1])


def _range(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} s ({min(xs):.2f}–{max(xs):.2f})"


def main() -> int:
    floe_load = json.loads((RESULTS / "load_5000.json").read_text())["sides"]["floe"]["seconds"]["median"]
    budget = 0.2 * floe_load
    print(f"floe's load without jobs (results/load_5000.json): {floe_load:.2f} s; 0.2x = {budget:.2f} s")
    for mix, folder in MIXES.items():
        data_file = WORK / f"jobs_floor{folder.replace('.floe', '')}.pickle"
        cmd = [str(BIN / "python"), __file__, "extract", str(PROJECT / folder / "compiled_artifacts.json")]
        subprocess.run([*cmd, str(data_file)], check=True, cwd=PROJECT, env=base_env(), capture_output=True)
        jobs = pickle.loads(data_file.read_bytes())["jobs"]
        print(f"{mix}: {len(jobs)} jobs selecting {sum(map(len, jobs.values()))} models in all")
        for floe_specs in (True, False):
            without, with_ = [], []
            for _ in range(PAIRS):
                without.append(sample(data_file, False, floe_specs))
                with_.append(sample(data_file, True, floe_specs))
            added = statistics.median(with_) - statistics.median(without)
            print(
                f"  {'floe specs + dbt tests' if floe_specs else 'bare specs'}: without jobs {_range(without)},"
                f" with {_range(with_)}: the jobs add {added:.2f} s = {added / budget:.2f}x the 0.2x budget"
            )
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["extract"]:
        extract(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1:2] == ["measure"]:
        print(measure(Path(sys.argv[2]), sys.argv[3] == "True", sys.argv[4] == "True"))
    else:
        sys.exit(main())
