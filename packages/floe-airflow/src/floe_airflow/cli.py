"""`floe airflow render <workflow...|--all> -o dags/`: contributed to `floe` by the `floe.commands` entry point."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from floe_core.cli import add_config_argument, config_path
from floe_core.errors import FloeError

if TYPE_CHECKING:
    Sub = argparse._SubParsersAction[argparse.ArgumentParser]

EXAMPLES = """\
examples:
  floe airflow render daily_sales_pipeline -o dags/
  floe airflow render --all -o $AIRFLOW_HOME/dags
"""


def register(subparsers: Sub) -> None:
    group = subparsers.add_parser(
        "airflow",
        help="run workflows on Airflow: generate DAG files (docs/airflow.md)",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = group.add_subparsers(dest="airflow_command", metavar="VERB", required=True)
    render = verbs.add_parser(
        "render",
        help="write one Airflow DAG file per workflow (floe_<workflow>.py)",
        description="Write static Airflow DAG files for the named workflows (or --all); files are replaced"
        " atomically.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_argument(render)
    render.add_argument("names", nargs="*", metavar="WORKFLOW", help="workflow name(s)")
    render.add_argument("--all", action="store_true", help="every workflow of the project")
    render.add_argument("-o", "--output", type=Path, required=True, help="folder for the DAG files")
    render.set_defaults(func=_render)


def _render(args: argparse.Namespace) -> int:
    from floe_core.loader import load_spec
    from floe_core.workflows import load_workflows

    from floe_airflow.render import write_dags

    if args.all == bool(args.names):
        raise FloeError("floe airflow render: name one or more workflows, or give --all (not both)")
    path = config_path(args)
    workflows = load_workflows(load_spec(path), path)
    names = workflows.names() if args.all else list(args.names)
    if not names:
        raise FloeError("no workflows to render (see workflows.path and workflows.inline in floe.yaml)")
    for written in write_dags(workflows, names, args.output):
        print(f"wrote {written}")
    return 0
