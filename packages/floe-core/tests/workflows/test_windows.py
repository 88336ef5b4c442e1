"""Window semantics (floe_core.workflows.windows): hand-written tables, DST included.

The expected values follow Dagster's partition windows for the same cron (checked against
TimeWindowPartitionsDefinition when this table was written): a missing local time moves to the end of the
gap, a repeated one happens once (second occurrence), except for crons whose hour field is `*`.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from floe_core.errors import FloeError
from floe_core.workflows import (
    CronSchedule,
    IntervalSchedule,
    Window,
    first_window,
    last_complete_window,
    overlapping_windows,
    partition_fmt,
    partition_key,
    previous_window,
    window_context,
    window_for,
    window_for_partition_key,
    windows_between,
)
from floe_core.workflows.schedules import interval_cron


def cron(expr: str, tz: str = "UTC", start: str = "2024-01-01", end: str | None = None) -> CronSchedule:
    return CronSchedule(cron=expr, timezone=tz, start_date=start, end_date=end)


# (cron, timezone, --date, window start, window end, previous start, partition key)
TABLE = [
    # daily at 02:00, UTC: the run of 2024-01-02 processes [01-02 02:00, 01-03 02:00) and starts at 01-03 02:00
    ("0 2 * * *", "UTC", "2024-01-02", "2024-01-02T02:00:00+00:00", "2024-01-03T02:00:00+00:00",
     "2024-01-01T02:00:00+00:00", "2024-01-02"),
    ("0 * * * *", "UTC", "2024-01-02T05:00", "2024-01-02T05:00:00+00:00", "2024-01-02T06:00:00+00:00",
     "2024-01-02T04:00:00+00:00", "2024-01-02-05:00"),
    ("0 * * * *", "UTC", "2024-01-02", "2024-01-02T00:00:00+00:00", "2024-01-02T01:00:00+00:00",
     "2024-01-01T23:00:00+00:00", "2024-01-02-00:00"),
    ("0 0 * * 1", "UTC", "2024-01-08", "2024-01-08T00:00:00+00:00", "2024-01-15T00:00:00+00:00",
     "2024-01-01T00:00:00+00:00", "2024-01-08"),
    # Europe/Berlin, spring forward on 2024-03-31 (02:00 -> 03:00): the 02:00 tick happens at 03:00
    ("0 2 * * *", "Europe/Berlin", "2024-03-30", "2024-03-30T02:00:00+01:00", "2024-03-31T03:00:00+02:00",
     "2024-03-29T02:00:00+01:00", "2024-03-30"),
    ("0 2 * * *", "Europe/Berlin", "2024-03-31", "2024-03-31T03:00:00+02:00", "2024-04-01T02:00:00+02:00",
     "2024-03-30T02:00:00+01:00", "2024-03-31"),
    # fall back on 2024-10-27 (03:00 -> 02:00): a daily 02:00 tick happens once, at the second 02:00
    ("0 2 * * *", "Europe/Berlin", "2024-10-26", "2024-10-26T02:00:00+02:00", "2024-10-27T02:00:00+01:00",
     "2024-10-25T02:00:00+02:00", "2024-10-26"),
    ("0 2 * * *", "Europe/Berlin", "2024-10-27", "2024-10-27T02:00:00+01:00", "2024-10-28T02:00:00+01:00",
     "2024-10-26T02:00:00+02:00", "2024-10-27"),
    # hourly: the missing hour is skipped, the repeated hour runs twice (Dagster's "+0100" key suffix)
    ("0 * * * *", "Europe/Berlin", "2024-03-31T01:00", "2024-03-31T01:00:00+01:00", "2024-03-31T03:00:00+02:00",
     "2024-03-31T00:00:00+01:00", "2024-03-31-01:00"),
    ("0 * * * *", "Europe/Berlin", "2024-10-27T02:00:00+02:00", "2024-10-27T02:00:00+02:00",
     "2024-10-27T02:00:00+01:00", "2024-10-27T01:00:00+02:00", "2024-10-27-02:00"),
    ("0 * * * *", "Europe/Berlin", "2024-10-27T02:00:00+01:00", "2024-10-27T02:00:00+01:00",
     "2024-10-27T03:00:00+01:00", "2024-10-27T02:00:00+02:00", "2024-10-27-02:00+0100"),
    # weekly on Sundays at 02:00 across both changes
    ("0 2 * * 0", "Europe/Berlin", "2024-03-31", "2024-03-31T03:00:00+02:00", "2024-04-07T02:00:00+02:00",
     "2024-03-24T02:00:00+01:00", "2024-03-31"),
    ("0 2 * * 0", "Europe/Berlin", "2024-10-27", "2024-10-27T02:00:00+01:00", "2024-11-03T02:00:00+01:00",
     "2024-10-20T02:00:00+02:00", "2024-10-27"),
]  # fmt: skip


def _when(text: str) -> date | datetime:
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)


@pytest.mark.parametrize("row", TABLE, ids=lambda row: f"{row[0]}|{row[1]}|{row[2]}")
def test_window_table(row: tuple[str, str, str, str, str, str, str]) -> None:
    expr, tz, when, start, end, prev, key = row
    schedule = cron(expr, tz)
    window = window_for(schedule, _when(when))
    assert (window.start.isoformat(), window.end.isoformat()) == (start, end)
    assert previous_window(schedule, window).start.isoformat() == prev
    assert partition_key(schedule, window) == key
    assert window_for_partition_key(schedule, key) == window
    context = window_context(schedule, window)
    assert (context.execution_date, context.ts, context.data_interval_start) == (start, start, start)
    assert (context.next_execution_date, context.data_interval_end) == (end, end)
    assert context.prev_execution_date == prev
    assert context.ds == start[:10] and context.ds_nodash == start[:10].replace("-", "")
    assert context.ts_nodash == start[:19].replace("-", "").replace(":", "")
    assert context.partition_key == key


def test_window_instants_not_wall_times() -> None:
    # the two 02:00 windows of the repeated hour are different windows one hour apart
    schedule = cron("0 * * * *", "Europe/Berlin")
    first = window_for(schedule, datetime(2024, 10, 27, 2, tzinfo=ZoneInfo("Europe/Berlin")))
    second = window_for(schedule, datetime(2024, 10, 27, 2, fold=1, tzinfo=ZoneInfo("Europe/Berlin")))
    assert first != second and first.end == second.start
    assert second.start.timestamp() - first.start.timestamp() == 3600


def test_a_day_without_a_window_names_the_nearest() -> None:
    with pytest.raises(FloeError) as err:
        window_for(cron("0 0 * * 1"), date(2024, 1, 3))
    assert str(err.value) == (
        "no window of cron '0 0 * * 1' (UTC) starts on 2024-01-03; the nearest start at"
        " 2024-01-01T00:00:00+00:00 and 2024-01-08T00:00:00+00:00"
    )


def test_a_datetime_must_be_a_tick() -> None:
    with pytest.raises(FloeError) as err:
        window_for(cron("0 2 * * *"), datetime(2024, 1, 2, 3))
    assert str(err.value) == (
        "2024-01-02T03:00:00+00:00 is not a tick of cron '0 2 * * *' (UTC); the nearest windows start at"
        " 2024-01-02T02:00:00+00:00 and 2024-01-03T02:00:00+00:00"
    )


def test_windows_outside_start_and_end_date_are_errors() -> None:
    schedule = cron("0 2 * * *", start="2024-01-01", end="2024-01-05")
    assert first_window(schedule) == window_for(schedule, date(2024, 1, 1))
    with pytest.raises(
        FloeError, match=r"before the schedule's first window, which starts at 2024-01-01T02:00"
    ):
        window_for(schedule, date(2023, 12, 31))
    # end_date is exclusive: the last window ends at or before 2024-01-05 00:00
    assert window_for(schedule, date(2024, 1, 3)).end.isoformat() == "2024-01-04T02:00:00+00:00"
    with pytest.raises(FloeError, match="ends after the schedule's end_date 2024-01-05"):
        window_for(schedule, date(2024, 1, 4))


def test_windows_between_for_backfills() -> None:
    schedule = cron("0 2 * * *", start="2024-01-01", end="2024-01-05")
    windows = windows_between(schedule, date(2024, 1, 1), date(2024, 1, 31))
    assert [partition_key(schedule, w) for w in windows] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    hourly = cron("0 * * * *", "Europe/Berlin")
    day = windows_between(hourly, date(2024, 10, 27), date(2024, 10, 27))
    assert len(day) == 25  # the day of the repeated hour
    assert [partition_key(hourly, w) for w in day[1:5]] == [
        "2024-10-27-01:00",
        "2024-10-27-02:00",
        "2024-10-27-02:00+0100",
        "2024-10-27-03:00",
    ]
    assert len(windows_between(hourly, date(2024, 3, 31), date(2024, 3, 31))) == 23
    exact = windows_between(hourly, datetime(2024, 1, 2, 5), datetime(2024, 1, 2, 7))
    assert [w.start.hour for w in exact] == [5, 6, 7]
    with pytest.raises(FloeError, match="is before the schedule's start_date 2024-01-01"):
        windows_between(schedule, date(2023, 12, 1), date(2024, 1, 2))
    with pytest.raises(FloeError, match="holds more than 10 windows"):
        windows_between(hourly, date(2024, 1, 2), date(2024, 1, 3), limit=10)


def test_last_complete_window_is_the_one_a_tick_launches() -> None:
    schedule = cron("0 2 * * *")
    at_tick = last_complete_window(schedule, datetime(2024, 1, 3, 2, tzinfo=ZoneInfo("UTC")))
    assert at_tick == window_for(schedule, date(2024, 1, 2))
    assert last_complete_window(schedule, datetime(2024, 1, 3, 1, 59, tzinfo=ZoneInfo("UTC"))) == window_for(
        schedule, date(2024, 1, 1)
    )
    assert last_complete_window(schedule, datetime(2024, 1, 2, 1, tzinfo=ZoneInfo("UTC"))) is None


def test_partition_formats() -> None:
    assert partition_fmt(cron("0 2 * * *")) == "%Y-%m-%d"
    assert partition_fmt(cron("0 0 * * 0")) == "%Y-%m-%d"
    assert partition_fmt(cron("0 0 1 * *")) == "%Y-%m-%d"
    assert partition_fmt(cron("0 */6 * * *")) == "%Y-%m-%d-%H:%M"
    assert partition_fmt(cron("0 2,14 * * *")) == "%Y-%m-%d-%H:%M"
    with pytest.raises(FloeError, match=r"expected the format '%Y-%m-%d', e.g. '2024-01-01'"):
        window_for_partition_key(cron("0 2 * * *"), "2024/01/02")
    with pytest.raises(FloeError, match="is not a partition key"):
        window_for_partition_key(cron("0 2 * * *"), "2024-01-02-02:00+0100")


def test_overlapping_windows_link_schedules() -> None:
    daily = cron("0 0 * * *")
    hourly = cron("0 * * * *")
    day = window_for(daily, date(2024, 1, 2))
    hours = overlapping_windows(hourly, day)
    assert [partition_key(hourly, w) for w in (hours[0], hours[-1])] == [
        "2024-01-02-00:00",
        "2024-01-02-23:00",
    ]
    assert len(hours) == 24
    hour = window_for(hourly, datetime(2024, 1, 2, 13))
    assert overlapping_windows(daily, hour) == [day]


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("1m", "* * * * *"),
        ("15m", "*/15 * * * *"),
        ("60m", "0 * * * *"),
        ("1h", "0 * * * *"),
        ("6h", "0 */6 * * *"),
        ("24h", "0 0 * * *"),
        ("1d", "0 0 * * *"),
        ("7d", "0 0 * * 0"),
        ("1w", "0 0 * * 0"),
        ("7m", None),
        ("90m", None),
        ("5h", None),
        ("2d", None),
        ("30s", None),
    ],
)
def test_interval_cron(interval: str, expected: str | None) -> None:
    from floe_core.workflows import parse_duration

    assert interval_cron(parse_duration(interval)) == expected


def test_interval_schedule_windows_are_its_crons() -> None:
    schedule = IntervalSchedule(interval="15m", timezone="Europe/Berlin", start_date="2024-01-01")
    window = window_for(schedule, datetime(2024, 1, 2, 10, 45))
    assert (window.start.isoformat(), window.end.isoformat()) == (
        "2024-01-02T10:45:00+01:00",
        "2024-01-02T11:00:00+01:00",
    )
    assert partition_key(schedule, window) == "2024-01-02-10:45"


def test_window_rejects_an_empty_range() -> None:
    instant = datetime(2024, 1, 1, tzinfo=ZoneInfo("UTC"))
    with pytest.raises(ValueError, match="invalid window"):
        Window(instant, instant)
