"""floe-core's orchestration models: accepted shapes and the errors `floe validate` reports."""

from __future__ import annotations

import pytest
from floe_core.spec.orchestration import OrchestrationConfig
from pydantic import ValidationError


def errors(raw: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        OrchestrationConfig.model_validate(raw)
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in caught.value.errors()]


def test_full_section_parses() -> None:
    config = OrchestrationConfig.model_validate(
        {
            "partitions": {
                "daily": {"type": "time_window", "start": "2024-01-01", "timezone": "Europe/Paris"},
                "hourly": {"type": "time_window", "granularity": "hourly", "start": "2024-01-01T00:00"},
                "regions": {"type": "static", "keys": ["eu", "us"]},
                "by_region": {"type": "multi", "dimensions": {"date": "daily", "region": "regions"}},
                "tenants": {"type": "dynamic"},
            },
            "assets": [{"select": "raw_*", "partitions": "daily", "automation": {"type": "eager"}}],
            "jobs": {
                "nightly": {"type": "batch", "selection": "group:silver or key:raw_orders+"},
                "vacuum": {"type": "ops", "target": "ops.maint:vacuum", "params": {"retention_days": 30}},
            },
            "schedules": {"nightly": {"job": "nightly", "cron": "0 2 * * *", "enabled": False}},
            "sensors": {
                "landing": {"type": "file_watcher", "job": "nightly", "path": "landing", "pattern": "*.csv"},
                "on_fail": {"type": "run_status", "watch": ["nightly"], "webhook": "http://127.0.0.1:9/x"},
            },
            "backfills": {
                "q1": {"job": "nightly", "start": "2024-01-01", "end": "2024-03-31", "batch_size": 7}
            },
        }
    )
    assert config.assets[0].select == ["raw_*"]
    assert config.schedules["nightly"].enabled is False
    assert config.backfills["q1"].batch_size == 7


def test_cron_must_agree_with_granularity() -> None:
    (loc, msg), *_ = errors(
        {"partitions": {"d": {"type": "time_window", "start": "2024-01-01", "cron": "0 * * * *"}}}
    )
    assert loc.startswith("partitions.d")
    assert "hourly windows but granularity is 'daily'" in msg


def test_daily_cron_with_daily_granularity_is_fine() -> None:
    part = {"type": "time_window", "start": "2024-01-01", "cron": "30 6 * * *"}
    assert OrchestrationConfig.model_validate({"partitions": {"d": part}}).partitions["d"]


def test_every_dangling_reference_is_reported_together() -> None:
    found = errors(
        {
            "partitions": {"m": {"type": "multi", "dimensions": {"a": "nope", "b": "m"}}},
            "assets": [{"select": "x", "partitions": "missing"}],
            "jobs": {"j": {"type": "batch", "groups": ["g"]}},
            "schedules": {"s": {"job": "ghost", "cron": "0 0 * * *"}},
            "sensors": {"f": {"type": "file_watcher", "job": "phantom", "path": "."}},
            "backfills": {"b": {"job": "nobody", "keys": ["k"]}},
        }
    )
    locs = {loc for loc, _ in found}
    assert locs == {
        "partitions.m.dimensions.a",
        "partitions.m.dimensions.b",
        "assets.0.partitions",
        "schedules.s.job",
        "sensors.f.job",
        "backfills.b.job",
    }
    assert any("unknown job 'ghost'; defined jobs: j" in msg for _, msg in found)


def test_run_status_trigger_cycle_is_an_error() -> None:
    found = errors(
        {
            "jobs": {"a": {"type": "batch", "groups": ["g"]}, "b": {"type": "batch", "groups": ["g"]}},
            "sensors": {
                "ab": {"type": "run_status", "watch": ["a"], "statuses": ["SUCCESS"], "job": "b"},
                "ba": {"type": "run_status", "watch": ["b"], "statuses": ["SUCCESS"], "job": "a"},
            },
        }
    )
    assert {loc for loc, _ in found} == {"sensors.ab.job", "sensors.ba.job"}
    assert all("trigger cycle" in msg for _, msg in found)


@pytest.mark.parametrize(
    ("raw", "where", "text"),
    [
        ({"schedules": {"s": {"job": "j", "cron": "61 * * * *"}}}, "schedules.s.cron", "invalid cron"),
        (
            {"schedules": {"s": {"job": "j", "cron": "0 0 * * *", "timezone": "Mars/Base"}}},
            "timezone",
            "unknown timezone",
        ),
        (
            {"partitions": {"m": {"type": "multi", "dimensions": {"a": "x", "b": "y", "c": "z"}}}},
            "dimensions",
            "exactly 2",
        ),
        ({"jobs": {"o": {"type": "ops", "target": "no colon"}}}, "target", "invalid target"),
        ({"backfills": {"b": {"job": "j", "start": "2024-01-01"}}}, "backfills.b", "both start and end"),
        ({"assets": [{"select": "raw_*"}]}, "assets.0", "sets nothing"),
        ({"jobs": {"j": {"type": "batch"}}}, "jobs.j", "selects nothing"),
    ],
)
def test_field_errors_name_the_problem(raw: dict[str, object], where: str, text: str) -> None:
    found = errors(raw)
    assert any(where in loc and text in msg for loc, msg in found), found
