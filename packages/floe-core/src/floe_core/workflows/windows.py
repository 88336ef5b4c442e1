"""Windows of a scheduled workflow: THE definition every orchestrator adapter uses (docs/workflows.md).

A cron (or interval) schedule cuts time into windows between consecutive ticks, in the schedule's timezone.
The run for window [start, end) is launched at the tick `end` and processes the data of that window;
its `ds`/`execution_date` is the window *start* (Airflow 1's execution_date, Airflow 2's data interval).

Ticks follow Dagster's rules exactly, so that a window here is the Dagster partition of the same key:
  - a tick at a local time that does not exist (spring forward) moves to the first instant after the gap
    (02:30 -> 03:00) — except for crons whose hour field is `*`, which simply skip it;
  - a tick at a local time that happens twice (fall back) happens once, at the second occurrence —
    except for crons whose hour field is `*`, which tick at both.
Datetimes here are aware, in the schedule's timezone. Compare them by instant (`.timestamp()`): Python
compares two datetimes of the same zone by wall time and ignores `fold`.

The first window starts at the first tick at/after `start_date` (00:00 for a date); the last ends at or
before `end_date`. Partition keys are window starts formatted `%Y-%m-%d` when the cron ticks at most once
a day (fixed minute and hour), else `%Y-%m-%d-%H:%M` (Dagster's defaults), with Dagster's `+HHMM` suffix on
the second occurrence of a repeated hour.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from croniter import croniter  # type: ignore[import-untyped]

from floe_core.errors import FloeError
from floe_core.workflows.schedules import WindowedSchedule

DAILY_FMT = "%Y-%m-%d"
SUB_DAILY_FMT = "%Y-%m-%d-%H:%M"
MAX_WINDOWS = 100_000  # a backfill over more windows is almost certainly a mistake (minutely over years)
_MARGIN = timedelta(hours=3)  # more than any DST shift: bounds the searches around repeated/missing hours


class Window:
    """[start, end): aware datetimes in the schedule's timezone; equal when the instants are equal."""

    __slots__ = ("end", "start")

    def __init__(self, start: datetime, end: datetime) -> None:
        if start.tzinfo is None or end.tzinfo is None or end.timestamp() <= start.timestamp():
            raise ValueError(f"invalid window {start!r} .. {end!r}")
        self.start = start
        self.end = end

    def _key(self) -> tuple[float, float]:
        return (self.start.timestamp(), self.end.timestamp())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Window) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Window({self.start.isoformat()} .. {self.end.isoformat()})"

    def contains(self, instant: datetime) -> bool:
        return self.start.timestamp() <= instant.timestamp() < self.end.timestamp()


@cache
def _cron_parts(cron: str) -> tuple[bool, bool]:
    """(repeats every hour: hour field `*`, at most one tick a day: fixed minute and hour)."""
    parts = croniter.expand(cron)[0]
    hourly = len(parts[1]) == 1 and parts[1][0] == "*"
    daily = all(len(p) == 1 and isinstance(p[0], int) for p in parts[:2])
    return hourly, daily


def _exists(naive: datetime, tz: ZoneInfo) -> bool:
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def _ambiguous(naive: datetime, tz: ZoneInfo) -> bool:
    return naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset()


def _after_gap(naive: datetime, tz: ZoneInfo) -> datetime:
    # Dagster: the start of the missing hour read with the old offset, i.e. the first instant after the gap
    hour = naive.replace(minute=0, second=0, microsecond=0, tzinfo=tz, fold=0)
    return hour.astimezone(UTC).astimezone(tz)


def _local(naive: datetime, tz: ZoneInfo, *, hourly: bool) -> list[datetime]:
    """The instants a naive cron tick stands for (0, 1 or 2 of them; see the module docstring)."""
    if not _exists(naive, tz):
        return [] if hourly else [_after_gap(naive, tz)]
    if _ambiguous(naive, tz):
        folds = (0, 1) if hourly else (1,)
        return [naive.replace(tzinfo=tz, fold=f) for f in folds]
    return [naive.replace(tzinfo=tz)]


def _in_tz(instant: date | datetime, tz: ZoneInfo) -> datetime:
    """A date is its local 00:00 (or the first instant after it, if midnight is skipped); naive is local."""
    if not isinstance(instant, datetime):
        midnight = datetime.combine(instant, time())
        return midnight.replace(tzinfo=tz) if _exists(midnight, tz) else _after_gap(midnight, tz)
    if instant.tzinfo is None:
        return instant.replace(tzinfo=tz)
    return instant.astimezone(tz)


def ticks_from(
    schedule: WindowedSchedule, instant: datetime, *, inclusive: bool = True
) -> Iterator[datetime]:
    """The schedule's ticks at (if `inclusive`) or after `instant`, in order, forever."""
    tz, cron = schedule.tz, schedule.cron_expression
    hourly, _ = _cron_parts(cron)
    local = instant.astimezone(tz)
    after = local.timestamp() - (1e-6 if inclusive else 0)
    naive_ticks = croniter(cron, local.replace(tzinfo=None, fold=0) - _MARGIN)
    pending: deque[datetime] = deque()

    def next_naive() -> datetime:
        return pending.popleft() if pending else naive_ticks.get_next(datetime)

    while True:
        naive = next_naive()
        if hourly and _exists(naive, tz) and _ambiguous(naive, tz):
            # every tick in the repeated hour happens twice: emit the whole range in instant order
            group = [naive]
            while True:
                following = next_naive()
                if _exists(following, tz) and _ambiguous(following, tz):
                    group.append(following)
                    continue
                pending.append(following)
                break
            candidates = sorted(
                (n.replace(tzinfo=tz, fold=f) for n in group for f in (0, 1)), key=lambda d: d.timestamp()
            )
        else:
            candidates = _local(naive, tz, hourly=hourly)
        for candidate in candidates:
            if candidate.timestamp() > after:
                after = candidate.timestamp()
                yield candidate


def tick_before(schedule: WindowedSchedule, instant: datetime) -> datetime:
    """The last tick strictly before `instant`."""
    tz, cron = schedule.tz, schedule.cron_expression
    hourly, _ = _cron_parts(cron)
    limit = instant.timestamp()
    local_naive = instant.astimezone(tz).replace(tzinfo=None, fold=0)
    naive_ticks = croniter(cron, local_naive + _MARGIN)
    best: datetime | None = None
    best_naive = local_naive
    for _ in range(100_000):
        naive = naive_ticks.get_prev(datetime)
        if best is not None and naive < best_naive - _MARGIN:
            return best
        for candidate in _local(naive, tz, hourly=hourly):
            if candidate.timestamp() < limit and (best is None or candidate.timestamp() > best.timestamp()):
                best, best_naive = candidate, naive
    raise FloeError(f"cron {cron!r}: no tick found before {instant.isoformat()}")  # pragma: no cover


def _next_tick(schedule: WindowedSchedule, instant: datetime) -> datetime:
    return next(ticks_from(schedule, instant, inclusive=False))


def first_window(schedule: WindowedSchedule) -> Window:
    """The window starting at the first tick at/after start_date."""
    start = next(ticks_from(schedule, schedule.start))
    return Window(start, _next_tick(schedule, start))


def _check_bounds(schedule: WindowedSchedule, window: Window) -> Window:
    first = first_window(schedule)
    if window.start.timestamp() < first.start.timestamp():
        raise FloeError(
            f"{window.start.isoformat()} is before the schedule's first window, which starts at"
            f" {first.start.isoformat()} (start_date {schedule.start_date})"
        )
    end = schedule.end
    if end is not None and window.end.timestamp() > end.timestamp():
        raise FloeError(
            f"the window {window.start.isoformat()} .. {window.end.isoformat()} ends after the schedule's"
            f" end_date {schedule.end_date}"
        )
    return window


def _fmt(value: datetime) -> str:
    return value.isoformat()


def window_for(schedule: WindowedSchedule, when: date | datetime) -> Window:
    """The window starting at `when`.

    A date D means the window starting at the first tick on local day D (`0 2 * * *` -> D 02:00; hourly ->
    D 00:00); a day without a tick (a weekly cron on another weekday) is an error naming the nearest windows.
    A datetime (naive = in the schedule's timezone) must be a tick. Windows outside start_date/end_date are
    errors too, so a plan never shows a run that no orchestrator would make.
    """
    tz = schedule.tz
    if not isinstance(when, datetime):
        day_start = _in_tz(when, tz)
        start = next(ticks_from(schedule, day_start))
        if start.date() != when:
            before = tick_before(schedule, day_start)
            raise FloeError(
                f"no window of cron {schedule.cron_expression!r} ({schedule.timezone}) starts on"
                f" {when.isoformat()}; the nearest start at {_fmt(before)} and {_fmt(start)}"
            )
    else:
        wanted = _in_tz(when, tz)
        start = next(ticks_from(schedule, wanted))
        if start.timestamp() != wanted.timestamp():
            before = tick_before(schedule, wanted)
            raise FloeError(
                f"{_fmt(wanted)} is not a tick of cron {schedule.cron_expression!r} ({schedule.timezone});"
                f" the nearest windows start at {_fmt(before)} and {_fmt(start)}"
            )
    return _check_bounds(schedule, Window(start, _next_tick(schedule, start)))


def previous_window(schedule: WindowedSchedule, window: Window) -> Window:
    """The window just before `window` (by cron arithmetic alone: it may precede start_date)."""
    return Window(tick_before(schedule, window.start), window.start)


def windows_between(
    schedule: WindowedSchedule, first: date | datetime, last: date | datetime, *, limit: int = MAX_WINDOWS
) -> list[Window]:
    """Windows whose start lies in [first, last], for backfills; dates are whole local days (inclusive).

    `first` before the schedule's first window, or `last` before `first`, is an error; windows past
    end_date are left out.
    """
    tz = schedule.tz
    low = _in_tz(first, tz)
    high = _in_tz(last + timedelta(days=1), tz) if not isinstance(last, datetime) else _in_tz(last, tz)
    inclusive_high = isinstance(last, datetime)
    if high.timestamp() < low.timestamp():
        raise FloeError(f"the range {first.isoformat()} .. {last.isoformat()} ends before it starts")
    if low.timestamp() < schedule.start.timestamp():
        raise FloeError(
            f"{first.isoformat()} is before the schedule's start_date {schedule.start_date}:"
            f" its first window starts at {first_window(schedule).start.isoformat()}"
        )
    end = schedule.end
    windows: list[Window] = []
    ticks = ticks_from(schedule, low)
    start = next(ticks)
    for tick in ticks:
        in_range = (
            start.timestamp() <= high.timestamp() if inclusive_high else start.timestamp() < high.timestamp()
        )
        if not in_range or (end is not None and tick.timestamp() > end.timestamp()):
            break
        windows.append(Window(start, tick))
        if len(windows) > limit:
            raise FloeError(
                f"{first.isoformat()} .. {last.isoformat()} holds more than {limit} windows of cron"
                f" {schedule.cron_expression!r}: narrow the range"
            )
        start = tick
    return windows


def last_complete_window(schedule: WindowedSchedule, at: datetime) -> Window | None:
    """The window whose run is due at or before `at` (the one a tick at `at` launches); None before the first."""
    end = tick_before(schedule, at + timedelta(microseconds=1))
    start = tick_before(schedule, end)
    if start.timestamp() < first_window(schedule).start.timestamp():
        return None
    bound = schedule.end
    if bound is not None and end.timestamp() > bound.timestamp():
        windows = windows_between(schedule, schedule.start, bound - timedelta(microseconds=1))
        return windows[-1] if windows else None
    return Window(start, end)


def partition_fmt(schedule: WindowedSchedule) -> str:
    """`%Y-%m-%d` when the cron ticks at most once a day (fixed minute and hour), else `%Y-%m-%d-%H:%M`."""
    return DAILY_FMT if _cron_parts(schedule.cron_expression)[1] else SUB_DAILY_FMT


def partition_key(schedule: WindowedSchedule, window: Window) -> str:
    """The window's Dagster partition key (see the module docstring)."""
    fmt = partition_fmt(schedule)
    start = window.start.astimezone(schedule.tz)
    hourly, _ = _cron_parts(schedule.cron_expression)
    naive = start.replace(tzinfo=None)
    second_occurrence = start.fold == 1 and _exists(naive, schedule.tz) and _ambiguous(naive, schedule.tz)
    if hourly and second_occurrence:
        return start.strftime(fmt + "%z")
    return start.strftime(fmt)


def window_for_partition_key(schedule: WindowedSchedule, key: str) -> Window:
    """The window of a partition key made by `partition_key`; anything else is an error."""
    fmt, tz = partition_fmt(schedule), schedule.tz
    parsed: datetime | None = None
    for candidate in (fmt, fmt + "%z"):
        try:
            parsed = datetime.strptime(key, candidate)
            break
        except ValueError:
            continue
    if parsed is None:
        example = first_window(schedule)
        raise FloeError(
            f"{key!r} is not a partition key of cron {schedule.cron_expression!r}: expected the format"
            f" {fmt!r}, e.g. {partition_key(schedule, example)!r}"
        )
    if fmt == DAILY_FMT and parsed.tzinfo is None:
        window = window_for(schedule, parsed.date())
    elif parsed.tzinfo is not None:
        window = window_for(schedule, parsed.astimezone(tz))
    else:
        window = _window_at_naive(schedule, parsed)
    if partition_key(schedule, window) != key:
        raise FloeError(
            f"{key!r} is not a partition key of cron {schedule.cron_expression!r}"
            f" (the window starting then has key {partition_key(schedule, window)!r})"
        )
    return window


def _window_at_naive(schedule: WindowedSchedule, naive: datetime) -> Window:
    # a repeated local time: the first occurrence, else (non-hourly crons tick at the second) the second
    try:
        return window_for(schedule, naive.replace(tzinfo=schedule.tz, fold=0))
    except FloeError:
        if not _ambiguous(naive, schedule.tz):
            raise
        return window_for(schedule, naive.replace(tzinfo=schedule.tz, fold=1))


def overlapping_windows(schedule: WindowedSchedule, window: Window) -> list[Window]:
    """Windows of `schedule` overlapping `window` (another schedule's): cross-workflow dependencies (§8.2)."""
    tz = schedule.tz
    start = window.start.astimezone(tz)
    first = tick_before(schedule, start + timedelta(microseconds=1))
    result: list[Window] = []
    ticks = ticks_from(schedule, first, inclusive=False)
    for tick in ticks:
        candidate = Window(first, tick)
        if candidate.start.timestamp() >= window.end.timestamp():
            break
        if candidate.end.timestamp() > window.start.timestamp():
            result.append(candidate)
        first = tick
        if len(result) > MAX_WINDOWS:
            raise FloeError(f"more than {MAX_WINDOWS} windows overlap {window!r}")  # pragma: no cover
    return result
