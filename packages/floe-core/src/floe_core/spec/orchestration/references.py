"""Cross references inside `orchestration:` (names of partitions, jobs) and run-trigger cycles.

`reference_problems` works on plain values (the interpolated floe.yaml section, or a model dumped to
Python), not on validated models: the loader runs it on the raw section so a dangling name is reported
together with every schema problem, even when another part of the section does not validate. It skips what
it cannot read (a name that is not a string, a section that is not a mapping); the schema reports those.

`OrchestrationConfig` also runs it after validation, as a safety net for specs built in code; the loader
drops that copy of the problems (error type REFERENCE_ERROR) so nothing is reported twice.

Checks that need the asset graph (selections resolving to assets, backfill ranges vs partition keys)
happen when floe-dagster builds the Definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from floe_core.suggest import did_you_mean

REFERENCE_ERROR = "floe_reference"
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ReferenceProblem:
    loc: Loc  # relative to the `orchestration` mapping
    message: str
    value: object


def _mapping(value: object) -> Mapping[str, object] | None:
    return value if isinstance(value, Mapping) else None


def _named(section: object) -> dict[str, Mapping[str, object]]:
    """The entries of a name -> settings section that are mappings ({} for a missing section)."""
    entries = _mapping(section) or {}
    return {str(k): v for k, v in entries.items() if isinstance(v, Mapping)}


class _Collector:
    def __init__(self) -> None:
        self.problems: list[ReferenceProblem] = []

    def add(self, loc: Loc, message: str, value: object) -> None:
        self.problems.append(ReferenceProblem(loc, message, value))

    def unknown(self, loc: Loc, kind: str, name: str, known: Mapping[str, object]) -> None:
        listing = ", ".join(sorted(known)) or "none defined"
        plural = kind if kind.endswith("s") else f"{kind}s"
        self.add(
            loc, f"unknown {kind} '{name}'; defined {plural}: {listing}{did_you_mean(name, known)}", name
        )


class _Names:
    """The defined names of the section, or None where a section is unreadable (then nothing refers)."""

    def __init__(self, config: Mapping[str, object]) -> None:
        self.partitions = self._section(config, "partitions")
        self.jobs = self._section(config, "jobs")

    @staticmethod
    def _section(config: Mapping[str, object], key: str) -> Mapping[str, object] | None:
        if config.get(key) is None:
            return {}
        return _mapping(config[key])


def reference_problems(config: Mapping[str, object]) -> list[ReferenceProblem]:
    """Every dangling reference and run-trigger cycle in the `orchestration` mapping `config`."""
    out = _Collector()
    names = _Names(config)
    if names.partitions is not None:
        _partitions(names.partitions, out)
        rules = config.get("assets")
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            ref = rule.get("partitions") if isinstance(rule, Mapping) else None
            if isinstance(ref, str) and ref not in names.partitions:
                out.unknown(("assets", i, "partitions"), "partitions", ref, names.partitions)
    if names.jobs is not None:
        _job_references(config, names.jobs, out)
        _cycles(_named(config.get("sensors")), out)
    return out.problems


def _job_references(config: Mapping[str, object], jobs: Mapping[str, object], out: _Collector) -> None:
    for name, schedule in _named(config.get("schedules")).items():
        job = schedule.get("job")
        if isinstance(job, str) and job not in jobs:
            out.unknown(("schedules", name, "job"), "job", job, jobs)
    for name, sensor in _named(config.get("sensors")).items():
        job = sensor.get("job")
        if isinstance(job, str) and job not in jobs:
            out.unknown(("sensors", name, "job"), "job", job, jobs)
        watch = sensor.get("watch")
        if sensor.get("type") == "run_status" and isinstance(watch, list):
            for i, watched in enumerate(watch):
                if isinstance(watched, str) and watched not in jobs:
                    out.unknown(("sensors", name, "watch", i), "job", watched, jobs)
    for name, backfill in _named(config.get("backfills")).items():
        job = backfill.get("job")
        if not isinstance(job, str):
            continue
        if job not in jobs:
            out.unknown(("backfills", name, "job"), "job", job, jobs)
        elif (_mapping(jobs[job]) or {}).get("type") == "ops":
            out.add(("backfills", name, "job"), f"job '{job}' is an ops job: backfills need a batch job", job)


def _partitions(partitions: Mapping[str, object], out: _Collector) -> None:
    for name, part in _named(partitions).items():
        dimensions = _mapping(part.get("dimensions"))
        if part.get("type") != "multi" or dimensions is None:
            continue
        time_dims = 0
        for dim, ref in dimensions.items():
            if not isinstance(ref, str):
                continue
            loc: Loc = ("partitions", name, "dimensions", str(dim))
            target = _mapping(partitions.get(ref))
            if ref not in partitions:
                out.unknown(loc, "partitions", ref, partitions)
            elif target is not None and target.get("type") == "multi":
                out.add(
                    loc, f"dimension '{dim}' refers to multi partitions '{ref}': dimensions cannot nest", ref
                )
            time_dims += target is not None and target.get("type") == "time_window"
        if time_dims > 1:
            out.add(
                ("partitions", name, "dimensions"),
                "at most one time_window dimension is supported",
                dict(dimensions),
            )


def _run_status_links(sensors: Mapping[str, Mapping[str, object]]) -> dict[str, tuple[list[str], str]]:
    """run_status sensors that launch a job: sensor name -> (watched jobs, launched job)."""
    links: dict[str, tuple[list[str], str]] = {}
    for name, sensor in sensors.items():
        watch, job = sensor.get("watch"), sensor.get("job")
        if sensor.get("type") == "run_status" and isinstance(job, str) and isinstance(watch, list):
            links[name] = ([w for w in watch if isinstance(w, str)], job)
    return links


def _cycles(sensors: Mapping[str, Mapping[str, object]], out: _Collector) -> None:
    """A run_status sensor launching a job that (transitively) re-triggers itself loops forever."""
    links = _run_status_links(sensors)
    edges: dict[str, set[str]] = {}
    for watch, job in links.values():
        for watched in watch:
            edges.setdefault(watched, set()).add(job)
    for name, (watch, launched) in links.items():
        # Does launching `launched` lead back to a job this sensor watches?
        seen: set[str] = set()
        stack = [launched]
        while stack:
            job = stack.pop()
            if job in watch:
                out.add(
                    ("sensors", name, "job"),
                    f"trigger cycle: launching '{launched}' re-triggers this sensor (watches"
                    f" {', '.join(watch)}); runs would loop forever",
                    launched,
                )
                break
            if job not in seen:
                seen.add(job)
                stack.extend(edges.get(job, ()))
