"""Cross references inside `orchestration:` are reported together with every schema problem (issue 15).

Before, they ran as a model validator of the whole section: a type error anywhere in `orchestration`
hid a schedule naming an unknown job. Now they run on the raw section, and the model's own copy (a safety
net for specs built in code) is never reported a second time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from floe_core.spec.orchestration import OrchestrationConfig
from pydantic import ValidationError

if TYPE_CHECKING:
    from conftest import Validation

HEAD = """\
name: demo
version: "1.0"
compute:
  default: dev
  targets:
    dev: {type: duckdb}
orchestration:
"""


def test_type_error_and_unknown_job_are_reported_together(validate: Callable[..., Validation]) -> None:
    run = validate(
        HEAD
        + "  jobs:\n"
        + "    nightly: {type: batch, groups: [silver], run_tags: 5}\n"  # line 9: run_tags must be a mapping
        + "  schedules:\n"
        + "    daily: {job: nigthly, cron: '0 2 * * *'}\n"  # line 11
    )
    assert run.stderr.splitlines()[0] == f"{run.config} is invalid (2 problems):"
    assert run.line_for("orchestration.jobs.nightly.run_tags") == (
        f"{run.config}:9: orchestration.jobs.nightly.run_tags: expected a mapping (key: value) (got 5)"
    )
    assert run.line_for("orchestration.schedules.daily.job") == (
        f"{run.config}:11: orchestration.schedules.daily.job: unknown job 'nigthly'; defined jobs: nightly;"
        " did you mean 'nightly'? (got 'nigthly')"
    )


def test_every_kind_of_reference_with_hints_and_no_duplicates(validate: Callable[..., Validation]) -> None:
    run = validate(
        HEAD
        + "  partitions:\n"
        + "    daily: {type: time_window, start: 2024-01-01}\n"
        + "    by_region: {type: multi, dimensions: {date: dialy, region: zones}}\n"  # line 10
        + "  assets:\n"
        + "    - {select: 'raw_*', partitions: daly}\n"  # line 12
        + "  jobs:\n"
        + "    nightly: {type: batch, groups: [silver]}\n"
        + "    vacuum: {type: ops, target: 'ops:vacuum'}\n"
        + "  sensors:\n"
        + "    landing: {type: file_watcher, job: nightyl, path: landing}\n"  # line 17
        + "    on_fail: {type: run_status, watch: [nighly], webhook: 'http://h/x'}\n"  # line 18
        + "  backfills:\n"
        + "    q1: {job: vacuum, keys: [a]}\n"  # line 20
        + "    q2: {job: nightl, keys: [a]}\n"  # line 21
    )
    assert run.problems == [
        f"{run.config}:10: orchestration.partitions.by_region.dimensions.date: unknown partitions 'dialy';"
        " defined partitions: by_region, daily; did you mean 'daily'? (got 'dialy')",
        f"{run.config}:10: orchestration.partitions.by_region.dimensions.region: unknown partitions"
        " 'zones'; defined partitions: by_region, daily (got 'zones')",
        f"{run.config}:12: orchestration.assets[0].partitions: unknown partitions 'daly'; defined"
        " partitions: by_region, daily; did you mean 'daily'? (got 'daly')",
        f"{run.config}:17: orchestration.sensors.landing.job: unknown job 'nightyl'; defined jobs: nightly,"
        " vacuum; did you mean 'nightly'? (got 'nightyl')",
        f"{run.config}:18: orchestration.sensors.on_fail.watch[0]: unknown job 'nighly'; defined jobs:"
        " nightly, vacuum; did you mean 'nightly'? (got 'nighly')",
        f"{run.config}:20: orchestration.backfills.q1.job: job 'vacuum' is an ops job: backfills need a"
        " batch job (got 'vacuum')",
        f"{run.config}:21: orchestration.backfills.q2.job: unknown job 'nightl'; defined jobs: nightly,"
        " vacuum; did you mean 'nightly'? (got 'nightl')",
    ]


def test_references_are_checked_even_when_the_named_entry_is_itself_invalid(
    validate: Callable[..., Validation],
) -> None:
    # the job exists (with a bad key): a schedule naming it is fine, only the job's problem is reported
    run = validate(
        HEAD
        + "  jobs: {nightly: {type: batch, groups: [a], colour: red}}\n"
        + "  schedules: {s: {job: nightly, cron: '0 2 * * *'}}\n"
    )
    assert len(run.problems) == 1
    assert "orchestration.jobs.nightly.colour: unknown key 'colour'" in run.problems[0]


def test_a_trigger_cycle_is_reported_once_per_sensor(validate: Callable[..., Validation]) -> None:
    run = validate(
        HEAD
        + "  jobs: {a: {type: batch, groups: [g]}, b: {type: batch, groups: [g]}}\n"
        + "  sensors:\n"
        + "    ab: {type: run_status, watch: [a], statuses: [SUCCESS], job: b}\n"
        + "    ba: {type: run_status, watch: [b], statuses: [SUCCESS], job: a}\n"
    )
    assert [line.split(": ", 2)[1] for line in run.problems] == [
        "orchestration.sensors.ab.job",
        "orchestration.sensors.ba.job",
    ]
    assert "trigger cycle: launching 'b' re-triggers this sensor (watches a)" in run.problems[0]


def test_the_model_alone_still_refuses_dangling_references() -> None:
    """FloeSpec stays valid on its own: a spec built in code gets the same check from the model."""
    with pytest.raises(ValidationError) as caught:
        OrchestrationConfig.model_validate(
            {
                "jobs": {"j": {"type": "batch", "groups": ["g"]}},
                "schedules": {"s": {"job": "k", "cron": "@daily"}},
            }
        )
    [error] = caught.value.errors()
    assert error["loc"] == ("schedules", "s", "job")
    assert error["msg"] == "unknown job 'k'; defined jobs: j"


def test_the_models_copy_is_left_out_by_error_type() -> None:
    """The loader drops the model's REFERENCE_ERROR copies by type (not only because paths coincide)."""
    from floe_core.spec import FloeSpec
    from floe_core.spec.orchestration.references import REFERENCE_ERROR
    from floe_core.validation_errors import translate

    data = {
        "name": "d",
        "version": "1",
        "compute": {"default": "dev", "targets": {"dev": {"type": "duckdb"}}},
        "orchestration": {"schedules": {"s": {"job": "ghost", "cron": "@daily"}}},
    }
    with pytest.raises(ValidationError) as caught:
        FloeSpec.model_validate(data)
    assert [i.path for i in translate(FloeSpec, caught.value, data)] == [
        ("orchestration", "schedules", "s", "job")
    ]
    assert translate(FloeSpec, caught.value, data, skip=frozenset({REFERENCE_ERROR})) == []
