"""The baseline: a plain dagster-dbt code location on the same manifest floe compiled.

Environment: BENCH_DBT_DIR (dbt project), BENCH_MANIFEST (manifest.json), BENCH_PROFILES_DIR.
This is what a user would write by hand without floe; the benchmarks compare floe against it.
"""

import os
from pathlib import Path

from dagster import AssetExecutionContext, Definitions
from dagster_dbt import DbtCliResource, dbt_assets

MANIFEST = Path(os.environ["BENCH_MANIFEST"])


@dbt_assets(manifest=MANIFEST)
def plain_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource):  # type: ignore[no-untyped-def]
    yield from dbt.cli(["build"], context=context).stream()


defs = Definitions(
    assets=[plain_dbt_assets],
    resources={
        "dbt": DbtCliResource(
            project_dir=os.environ["BENCH_DBT_DIR"],
            profiles_dir=os.environ["BENCH_PROFILES_DIR"],
            target_path=Path(os.environ.get("BENCH_TARGET_PATH", "target")),
        )
    },
)
