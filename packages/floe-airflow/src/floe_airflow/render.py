"""Airflow DAG files from workflow specs: static, readable Python, one file per workflow (docs/airflow.md).

A file embeds the validated workflow (the spec a reviewer reads), the runtime settings of floe.yaml and the
notification settings, then declares one task per job (`FloeDockerOperator`, `FloeKubernetesPodOperator` or
`FloeCommandOperator` by `workflows.runtime.type`) with its retry arguments written out, and `depends_on` as
`upstream >> downstream`. The schedule is an explicit `CronDataIntervalTimetable` in the schedule's timezone:
the run of window [start, end) is launched at `end` with logical date `start` — floe's window semantics
(floe_core.workflows.windows). The file imports only airflow, floe-core and floe_airflow.runtime.

Pure: no Airflow import here; writing is `write_dags` (atomic, one file per workflow).
"""

from __future__ import annotations

import keyword
from collections.abc import Sequence
from pathlib import Path

from floe_core.fs import atomic_write_text
from floe_core.workflows import LoadedWorkflow, RuntimeConfig, WorkflowSet, WorkflowSpec, parse_duration
from floe_core.workflows.graph import topological_order
from floe_core.workflows.schedules import local_datetime

OPERATORS = {
    "docker": "FloeDockerOperator",
    "kubernetes": "FloeKubernetesPodOperator",
    "subprocess": "FloeCommandOperator",
}
OUTCOME_SUFFIX = "__outcome"  # the same final step floe-dagster adds for on_failure: continue
WIDTH = 88  # the generated source is `ruff format`-stable at line length 88 and above
_RESERVED = {"WORKFLOW", "RUNTIME", "NOTIFY", "dag", "datetime", "timedelta", "ZoneInfo", "DAG"}


def dag_file_name(workflow: str) -> str:
    return f"floe_{workflow}.py"


def _string(text: str) -> str:
    """A string literal as ruff's formatter writes it: double quotes unless that needs more escapes."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text and "\\'" not in literal:
        return '"' + literal[1:-1] + '"'
    return literal


def _inline(value: object) -> str:
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_string(str(k))}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return repr(value)


def _literal(value: object, column: int = 0, indent: int = 0) -> str:
    """`value` as Python source that `ruff format` leaves unchanged (line length 88 or more): one line when it
    fits in 88 columns from `column`, else one item per line with a trailing comma (ruff keeps those)."""
    one = _inline(value)
    if not isinstance(value, dict | list) or not value or column + len(one) + 1 <= WIDTH:
        return one
    inner = " " * (indent + 4)
    if isinstance(value, dict):
        items = [
            f"{inner}{_string(str(k))}: {_literal(v, indent + 6 + len(_string(str(k))), indent + 4)},"
            for k, v in value.items()
        ]
        opening, closing = "{", "}"
    else:
        items = [f"{inner}{_literal(v, indent + 4, indent + 4)}," for v in value]
        opening, closing = "[", "]"
    return "\n".join([opening, *items, " " * indent + closing])


def _call(prefix: str, value: object, indent: int = 0, suffix: str = "") -> str:
    """`prefix(value)` + suffix at `indent`, split as ruff splits a call with one argument that does not fit."""
    one = f"{prefix}({_inline(value)}){suffix}"
    if indent + len(one) <= WIDTH:
        return one
    pad = " " * (indent + 4)
    inner = _inline(value)
    if indent + 4 + len(inner) <= WIDTH or not isinstance(value, dict | list) or not value:
        return f"{prefix}(\n{pad}{inner}\n{' ' * indent}){suffix}"
    return f"{prefix}(\n{pad}{_literal(value, indent + 4, indent + 4)}\n{' ' * indent}){suffix}"


def _variable(name: str) -> str:
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _RESERVED:
        return f"job_{name}"
    return name


def _seconds(value: float) -> str:
    return f"timedelta(seconds={value:g})"


def _retry_lines(spec: WorkflowSpec, job: str) -> list[str]:
    policy = spec.job(job).retry
    delays = policy.delays()
    if not delays:
        return ["retries=0,"]
    lines = [
        f"retries={len(delays)},  # max_attempts {policy.max_attempts}",
        f"retry_delay={_seconds(delays[0])},",
    ]
    if policy.exponential_backoff:
        lines.append(f"retry_exponential_backoff={policy.multiplier!r},")
    if policy.max_delay is not None:
        lines.append(f"max_retry_delay={_seconds(parse_duration(policy.max_delay))},")
    waits = [int(d) if float(d).is_integer() else d for d in delays]
    lines.append("# floe's exact waits in seconds, no jitter (RetryPolicy.delays())")
    lines.append(_call("retry_policy=FloeRetryPolicy", waits, 8, ","))
    return lines


def _schedule_lines(spec: WorkflowSpec) -> list[str]:
    schedule = spec.windowed_schedule
    if schedule is None:
        kind = (
            "file arrival (not scheduled by Airflow: trigger runs with conf)" if spec.schedule else "manual"
        )
        return [f"schedule=None,  # {kind}", 'start_date=datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC")),']
    start = local_datetime(schedule.start_date or "", schedule.tz)
    lines = [
        "# window [start, end) runs at end, logical date = start (ds = start): floe's window semantics",
        f"schedule=CronDataIntervalTimetable({_string(schedule.cron_expression)}, timezone={_string(schedule.timezone)}),",
        f"start_date=datetime({start.year}, {start.month}, {start.day}, {start.hour}, {start.minute},"
        f" tzinfo=ZoneInfo({_string(schedule.timezone)})),",
    ]
    end = schedule.end
    if end is not None:
        lines.append(
            f"end_date=datetime({end.year}, {end.month}, {end.day}, {end.hour}, {end.minute},"
            f" tzinfo=ZoneInfo({_string(schedule.timezone)})),"
        )
    return lines


def render_dag(loaded: LoadedWorkflow, workflows: WorkflowSet) -> str:
    """The DAG file of one workflow (see the module docstring)."""
    spec = loaded.spec
    runtime: RuntimeConfig = workflows.runtime
    operator = OPERATORS[runtime.type]
    entries = {e.name: e for e in spec.jobs}
    order = topological_order(entries, {n: e.depends_on for n, e in entries.items()})
    keep_going = spec.on_failure == "continue"
    sources = ", ".join(s.path for s in loaded.sources) or loaded.origin
    runtime_doc = runtime.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    notify_doc = workflows.notifications.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    imports = ["FloeFailureNotifier", "FloeRetryPolicy", operator, "notification_settings"]
    imports += ["runtime_config", "workflow_spec"]
    out = [
        f'"""Airflow DAG of floe workflow {spec.name}: generated by `floe airflow render`, do not edit.',
        "",
        f"Source: {sources}. Re-render after changing the spec or floe.yaml's workflows.runtime.",
        "Job templates ({{ ds }}, params...) are rendered at run time by floe-core's renderer",
        "(floe_airflow.runtime), exactly as `floe workflow plan` shows them, never by Airflow's Jinja.",
        '"""',
        "",
        "from datetime import datetime, timedelta  # noqa: F401",
        "from zoneinfo import ZoneInfo",
        "",
        "from airflow.sdk import DAG, CronDataIntervalTimetable  # noqa: F401",
    ]
    if keep_going:
        out.append("from airflow.providers.standard.operators.empty import EmptyOperator")
    out += [
        "from floe_airflow.runtime import (",
        *(f"    {name}," for name in sorted(imports)),
        ")",
        "",
        "WORKFLOW = " + _call("workflow_spec", spec.model_dump(mode="json", exclude_defaults=True)),
        "RUNTIME = " + _call("runtime_config", runtime_doc),
        "NOTIFY = FloeFailureNotifier(WORKFLOW, " + _call("notification_settings", notify_doc) + ")",
        "",
        "with DAG(",
        f"    dag_id={_string(spec.name)},",
    ]
    if spec.description:
        out.append(f"    description={_string(spec.description)},")
    out += [f"    {line}" for line in _schedule_lines(spec)]
    out += [
        "    catchup=False,",
        '    tags=["floe", "floe-workflow"],',
        '    default_args={"on_failure_callback": NOTIFY},',
        "):",
    ]
    for name in order:
        job = spec.job(name)
        out.append(f"    {_variable(name)} = {operator}(")
        out.append(f"        task_id={_string(name)},")
        out += ["        workflow=WORKFLOW,", f"        job={_string(name)},"]
        out.append(f"        {_runtime_argument(runtime, workflows.root)}")
        if job.description:
            out.append(f"        doc={_string(job.description)},")
        if job.timeout_seconds is not None:
            out.append(f"        execution_timeout={_seconds(job.timeout_seconds)},")
        if keep_going and entries[name].depends_on:
            out.append('        trigger_rule="all_done",  # on_failure: continue')
        out += [f"        {line}" for line in _retry_lines(spec, name)]
        out.append("    )")
    edges = [(up, name) for name in order for up in entries[name].depends_on]
    if edges:
        out.append("")
    out += [f"    {_variable(up)} >> {_variable(down)}" for up, down in edges]
    if keep_going:
        outcome = spec.name + OUTCOME_SUFFIX
        out += [
            "",
            "    # on_failure: continue: the run still fails when a job failed (this step is upstream_failed)",
            f"    outcome = EmptyOperator(task_id={_string(outcome)})",
            f"    [{', '.join(_variable(n) for n in order)}] >> outcome",
        ]
    return "\n".join(out) + "\n"


def _runtime_argument(runtime: RuntimeConfig, root: str) -> str:
    if runtime.type != "subprocess":
        return "runtime=RUNTIME,"
    folder = runtime.subprocess.working_dir
    working_dir = (Path(root) / folder).resolve() if folder else Path(root)
    return f"working_dir={_string(str(working_dir))},"


def write_dags(workflows: WorkflowSet, names: Sequence[str], output: Path) -> list[Path]:
    """Write the DAG file of each named workflow into `output` (created), atomically; returns the paths.
    Every name is checked (unknown ones raise FloeError naming the known ones) before anything is written."""
    selected = [workflows.get(name) for name in names]
    texts = [(output / dag_file_name(w.name), render_dag(w, workflows)) for w in selected]
    output.mkdir(parents=True, exist_ok=True)
    for path, text in texts:
        atomic_write_text(path, text)
    return [path for path, _ in texts]


def graph_of(spec: WorkflowSpec) -> dict[str, list[str]]:
    """task id -> sorted upstream task ids, as the rendered DAG declares them (for comparisons)."""
    graph: dict[str, list[str]] = {e.name: sorted(e.depends_on) for e in spec.jobs}
    if spec.on_failure == "continue":
        graph[spec.name + OUTCOME_SUFFIX] = sorted(e.name for e in spec.jobs)
    return graph
