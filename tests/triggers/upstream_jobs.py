"""Upstream Dagster jobs for the trigger tests: each reports what a real job reports — an asset
materialization with its output path and record counts, and a quality check whose outcome the run's config
chooses (or, under `dagster dev`, the file named by $FLOE_TEST_QUALITY_FILE: "fail" fails the check)."""

import os
from pathlib import Path

from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    Config,
    Definitions,
    Failure,
    OpExecutionContext,
    job,
    op,
)

OUTPUT_PATH = "s3://bucket/images/2026-12-05/"
METRICS = {"records_read": 1000, "records_written": 990, "records_dropped": 10}


class Quality(Config):
    passed: bool = True
    blocking: bool = False  # a failing blocking check fails the run
    crash: bool = False  # fail before any check is evaluated


def _quality_from_file() -> bool | None:
    path = os.environ.get("FLOE_TEST_QUALITY_FILE")
    if not path or not Path(path).exists():
        return None
    return Path(path).read_text().strip() != "fail"


@op
def transform(context: OpExecutionContext, config: Quality) -> None:
    if config.crash:
        raise Failure("the source bucket is unreachable")
    context.log_event(AssetMaterialization("images", metadata={"output_path": OUTPUT_PATH, **METRICS}))
    passed = _quality_from_file()
    passed = config.passed if passed is None else passed
    context.log_event(
        AssetCheckEvaluation(asset_key=AssetKey("images"), check_name="no_blank_images", passed=passed)
    )
    if not passed and config.blocking:
        raise Failure("quality check no_blank_images failed")


@op
def load(context: OpExecutionContext) -> None:
    context.log_event(AssetMaterialization("promos", metadata={"records_written": 5}))


@op
def downstream_op(context: OpExecutionContext) -> None:
    context.log.info(f"triggered by {context.run.tags.get('floe/triggered_by_job')}")


@job
def transform_images() -> None:
    transform()


@job
def load_promos() -> None:
    load()


@job
def downstream() -> None:
    downstream_op()


JOBS = [transform_images, load_promos, downstream]
defs = Definitions(jobs=JOBS)
