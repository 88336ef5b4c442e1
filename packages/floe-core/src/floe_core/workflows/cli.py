"""`floe workflow ...`: `plan` (the exact commands of a run, a dry run) and `list-local`.

Other packages add verbs through the entry point group `floe.workflow_commands`: each entry point is a
callable `register(verbs)` receiving the `workflow` group's sub-parsers (as `floe.commands` entry points
receive floe's), e.g. floe-api's `floe workflow run/status/...`:

    def register(verbs):
        parser = verbs.add_parser("status", help="...")
        add_config_argument(parser)
        parser.set_defaults(func=run)          # run(args) -> exit code
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from datetime import date, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from floe_core.cli import add_config_argument, config_path, examples
from floe_core.errors import FloeError

if TYPE_CHECKING:
    from floe_core.spec import FloeSpec
    from floe_core.workflows.loading import LoadedWorkflow, WorkflowSet
    from floe_core.workflows.plan import JobInvocation
    from floe_core.workflows.workflow import WorkflowSpec

WORKFLOW_COMMANDS_GROUP = "floe.workflow_commands"
EXAMPLES = """\
examples:
  floe workflow plan daily_sales_pipeline --date 2024-01-02
  floe workflow plan daily_sales_pipeline --date 2024-01-02 --param source=replica_db --json
  floe workflow plan hourly_clicks --date 2024-01-02T13:00       # a sub-daily window: its start
  floe workflow plan on_new_file --date 2024-01-02T10:15:00Z --trigger-file s3://raw/sales/a.csv
  floe workflow list-local
"""


def validate_workflows(spec: FloeSpec, path: Path) -> WorkflowSet:
    """Load (and so validate) every workflow of the project; `floe validate` calls this after floe.yaml."""
    from floe_core.workflows.loading import load_workflows

    return load_workflows(spec, path)


def _workflows(args: argparse.Namespace) -> WorkflowSet:
    from floe_core.loader import load_spec

    path = config_path(args)
    return validate_workflows(load_spec(path), path)


def parse_when(text: str) -> date | datetime:
    """`--date`: YYYY-MM-DD, or an ISO 8601 date-time (without offset: in the schedule's timezone)."""
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise FloeError(
            f"--date {text!r}: expected YYYY-MM-DD or an ISO date-time such as 2024-01-02T13:00"
        ) from None


def parse_params(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise FloeError(f"--param {pair!r}: expected KEY=VALUE")
        out[key] = value
    return out


def describe_schedule(workflow: WorkflowSpec) -> str:
    from floe_core.workflows.schedules import CronSchedule, EventSchedule, IntervalSchedule

    schedule = workflow.schedule
    if isinstance(schedule, CronSchedule):
        return f"cron '{schedule.cron}' {schedule.timezone} from {schedule.start_date}"
    if isinstance(schedule, IntervalSchedule):
        return (
            f"every {schedule.interval} (cron '{schedule.cron_expression}') {schedule.timezone}"
            f" from {schedule.start_date}"
        )
    if isinstance(schedule, EventSchedule):
        return f"{schedule.trigger} {schedule.source} {schedule.pattern}"
    return "manual"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [headers, *rows]
    ]


def _headline(workflow: WorkflowSpec, invocations: list[JobInvocation]) -> str:
    context = invocations[0].context
    if context.kind == "window":
        return (
            f"workflow {workflow.name}: window {context.data_interval_start} .. {context.data_interval_end}"
            f" (partition {context.partition_key}), launched at {context.data_interval_end}"
        )
    if context.kind == "event":
        return f"workflow {workflow.name}: run for {context.trigger_file} at {context.execution_date}"
    return f"workflow {workflow.name}: manual run at {context.execution_date}"


def format_plan(workflow: WorkflowSpec, invocations: list[JobInvocation], runtime: str) -> str:
    """The plan as people read it: a summary table, then argv and env per job (secrets as references)."""
    from floe_core.workflows.durations import format_duration

    lines = [_headline(workflow, invocations), f"runtime: {runtime}; on failure: {workflow.on_failure}", ""]
    rows = [
        [
            inv.job,
            inv.image,
            ", ".join(inv.depends_on) or "-",
            str(inv.retry.max_attempts),
            ", ".join(format_duration(d) for d in inv.retry_delays) or "-",
        ]
        for inv in invocations
    ]
    lines += _table(["JOB", "IMAGE", "DEPENDS ON", "ATTEMPTS", "RETRY DELAYS"], rows)
    for inv in invocations:
        argv = shlex.join(inv.argv)
        shown = f"<image entrypoint> {argv}".rstrip() if inv.uses_entrypoint else argv
        lines += ["", inv.job, f"  argv: {shown}"]
        env = [f"{k}={v}" for k, v in inv.display_env().items()]
        lines += [f"  env:  {env[0]}" if env else "  env:  -", *(f"        {e}" for e in env[1:])]
        if inv.resources is not None and (inv.resources.cpu or inv.resources.memory):
            shown_resources = [
                f"{k} {v}" for k, v in (("cpu", inv.resources.cpu), ("memory", inv.resources.memory)) if v
            ]
            lines.append(f"  resources: {', '.join(shown_resources)}")
        if inv.timeout_seconds is not None:
            lines.append(f"  timeout: {format_duration(inv.timeout_seconds)}")
    return "\n".join(lines) + "\n"


def plan_json(workflow: WorkflowSpec, invocations: list[JobInvocation], runtime: str) -> str:
    """The plan as JSON: the run's context once, then every invocation (secrets as {secret_env: NAME})."""
    document = {
        "workflow": workflow.name,
        "runtime": runtime,
        "on_failure": workflow.on_failure,
        "context": invocations[0].context.model_dump(mode="json"),
        "jobs": [inv.model_dump(mode="json", exclude={"context"}) for inv in invocations],
    }
    return json.dumps(document, indent=2) + "\n"


def _plan(args: argparse.Namespace) -> int:
    from floe_core.workflows.plan import render_plan

    workflows = _workflows(args)
    loaded = workflows.get(args.name)
    invocations = render_plan(
        loaded.spec,
        parse_when(args.date),
        params_override=parse_params(args.param),
        trigger_file=args.trigger_file,
    )
    render = plan_json if args.json else format_plan
    sys.stdout.write(render(loaded.spec, invocations, workflows.runtime.type))
    return 0


def _list_local(args: argparse.Namespace) -> int:
    workflows = _workflows(args)
    if args.json:
        items = [_listing(w) for w in workflows.workflows]
        sys.stdout.write(json.dumps(items, indent=2) + "\n")
        return 0
    if not workflows.workflows:
        print("no workflows (see workflows.path and workflows.inline in floe.yaml)")
        return 0
    rows = [
        [
            w.name,
            describe_schedule(w.spec),
            ", ".join(e.name for e in w.spec.jobs),
            ", ".join(s.path for s in w.sources) or w.origin,
        ]
        for w in workflows.workflows
    ]
    print("\n".join(_table(["WORKFLOW", "SCHEDULE", "JOBS", "SOURCES"], rows)))
    return 0


def _listing(workflow: LoadedWorkflow) -> dict[str, object]:
    return {
        "name": workflow.name,
        "schedule": describe_schedule(workflow.spec),
        "jobs": [e.name for e in workflow.spec.jobs],
        "origin": workflow.origin,
        "sources": [s.model_dump() for s in workflow.sources],
    }


def register_workflow_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *, plugins: bool = True
) -> None:
    """Add `floe workflow` with its built-in verbs, then the verbs of `floe.workflow_commands` entry points."""
    group = subparsers.add_parser(
        "workflow",
        help="container workflows: plan a run, list the specs (docs/workflows.md)",
        description="Container workflows defined by orchestrator-agnostic specs (docs/workflows.md).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = group.add_subparsers(dest="workflow_command", metavar="VERB", required=True)
    plan = verbs.add_parser(
        "plan",
        help="print the exact commands of one run (a dry run: nothing is started)",
        description="Print image, argv and env of every job of the run of WORKFLOW at --date, in the order"
        " they may start. Secrets are shown as references, never read.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_argument(plan)
    plan.add_argument("name", metavar="WORKFLOW", help="workflow name")
    plan.add_argument(
        "--date",
        required=True,
        help="scheduled workflows: the window starting on this day (YYYY-MM-DD) or at this tick (ISO"
        " date-time); others: the trigger time",
    )
    plan.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="override a param (verbatim)"
    )
    plan.add_argument("--trigger-file", default=None, help="file-arrival workflows: the file that arrived")
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    plan.set_defaults(func=_plan)

    listing = verbs.add_parser(
        "list-local",
        help="the workflows floe.yaml defines (names, schedules, files)",
        epilog=examples("floe workflow list-local", "floe workflow list-local -c prod/floe.yaml --json"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_argument(listing)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=_list_local)

    if plugins:
        for ep in sorted(entry_points(group=WORKFLOW_COMMANDS_GROUP), key=lambda e: e.name):
            try:
                ep.load()(verbs)
            except Exception as exc:  # a broken plugin must not take the built-in verbs down with it
                print(f"floe: warning: workflow verbs from {ep.value} unavailable: {exc}", file=sys.stderr)
