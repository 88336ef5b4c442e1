"""The floe side of the benchmarks: exactly what a user writes."""

import os

from floe_dagster import FloeDefinitions

defs = FloeDefinitions.from_compiled_artifacts(os.environ["BENCH_ARTIFACTS"])
