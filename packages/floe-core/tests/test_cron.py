"""Cron expressions: exactly 5 fields, as Dagster needs, everywhere floe.yaml takes a cron (issue 15).

croniter (floe's parser) also accepts a seconds and a year field; Dagster refuses those when the code
location loads, so `floe validate` must refuse them first.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from floe_core.cron import check_cron
from floe_testkit import require

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
  jobs: {nightly: {type: batch, groups: [silver]}}
"""
FIVE = "'minute hour day-of-month month day-of-week', e.g. '0 2 * * *'"


def test_six_fields_in_a_schedule(validate: Callable[..., Validation]) -> None:
    run = validate(HEAD + "  schedules:\n    daily: {job: nightly, cron: '0 0 * * * *'}\n")
    assert run.problems == [
        f"{run.config}:10: orchestration.schedules.daily.cron: cron expression has 6 fields; Dagster needs"
        f" exactly 5 (no seconds or year field): {FIVE} (got '0 0 * * * *')"
    ]


@pytest.mark.parametrize(
    ("section", "line", "path"),
    [
        (
            "  partitions: {d: {type: time_window, start: 2024-01-01, cron: '0 0 0 * * * 2024'}}\n",
            9,
            "orchestration.partitions.d.cron",
        ),
        (
            "  assets: [{select: 'raw_*', automation: {type: on_cron, cron: '0 0 0 * * * 2024'}}]\n",
            9,
            "orchestration.assets[0].automation.cron",
        ),
    ],
)
def test_seven_fields_everywhere_a_cron_is_taken(
    validate: Callable[..., Validation], section: str, line: int, path: str
) -> None:
    run = validate(HEAD + section)
    assert run.line_for(path) == (
        f"{run.config}:{line}: {path}: cron expression has 7 fields; Dagster needs exactly 5 (no seconds or"
        f" year field): {FIVE} (got '0 0 0 * * * 2024')"
    )


def test_out_of_range_field_names_the_five_fields_and_their_ranges(
    validate: Callable[..., Validation],
) -> None:
    run = validate(HEAD + "  schedules:\n    daily: {job: nightly, cron: '0 25 * * *'}\n")
    assert run.line_for("orchestration.schedules.daily.cron") == (
        f"{run.config}:10: orchestration.schedules.daily.cron: invalid cron expression: expected 5 fields"
        f" {FIVE} (minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or jan-dec, day-of-week 0-6 or"
        " sun-sat) (got '0 25 * * *')"
    )


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("", "cron expression has 0 fields; Dagster needs exactly 5"),
        ("* * *", "cron expression has 3 fields; Dagster needs exactly 5"),
        ("@fortnightly", "unknown cron alias: expected @hourly, @daily, @weekly, @monthly, @yearly or"),
        ("0 0 30 2 *", "cron expression names day 30 of February, which never comes"),
    ],
)
def test_other_bad_crons(cron: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("@", r"\@").replace("*", r"\*")):
        check_cron(cron)


@pytest.mark.parametrize("cron", ["0 2 * * *", "*/15 * * * *", "0 2 * * mon-fri", "@daily", "  0 3 1 * *  "])
def test_good_crons(cron: str) -> None:
    assert check_cron(cron) == cron.strip()


def test_floe_agrees_with_dagster() -> None:
    """What floe accepts is what Dagster's own check accepts (the reason this check exists)."""
    require(importlib.util.find_spec("dagster") is not None, "dagster (to compare cron checks)")
    from dagster_internals import is_valid_cron_string

    samples = [
        "0 2 * * *", "*/5 * * * *", "0 0 1 * *", "0 2 * * mon-fri", "@hourly", "@daily", "@weekly",
        "@monthly", "@yearly", "0 0 * * * *", "0 0 0 * * * 2024", "0 25 * * *", "61 * * * *", "0 0 30 2 *",
        "0 0 31 2 *", "* * *", "0 0 L * *",
    ]  # fmt: skip

    def floe_accepts(cron: str) -> bool:
        try:
            check_cron(cron)
        except ValueError:
            return False
        return True

    assert {c: floe_accepts(c) for c in samples} == {c: is_valid_cron_string(c) for c in samples}
