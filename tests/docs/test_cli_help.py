"""Every `floe` command and sub-command a user can reach (floe-core's and the installed packages' plugins)
shows examples in its --help (issue 15: "examples in every --help")."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator

from floe_core.cli import build_parser


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path), parser
        return
    for sub in subs:
        for name, child in sub.choices.items():
            yield from _leaves(child, (*path, name))


def test_every_command_reachable_from_floe_has_examples_in_its_help() -> None:
    leaves = dict(_leaves(build_parser()))
    # the plugins of every package of the workspace are there
    assert {
        "compile",
        "backfill",
        "partitions",
        "metrics serve",
        "workflow run",
        "api serve",
        "airflow render",
    } <= set(leaves), sorted(leaves)
    missing = [name for name, parser in leaves.items() if "examples:\n" not in parser.format_help()]
    assert missing == []
    for name, parser in leaves.items():
        shown = parser.format_help().split("examples:\n", 1)[1]
        assert "floe " in shown or "FLOE" in shown or "DAGSTER_HOME" in shown, (name, shown)


def test_building_the_floe_command_imports_no_dagster_dbt_or_httpx() -> None:
    # `floe --help`, `floe validate` and the workflow verbs build the whole parser (every package's commands):
    # importing Dagster there cost ~3 s per invocation, httpx ~0.3 s; each command imports what it runs instead.
    probe = (
        "import sys\n"
        "from floe_core.cli import build_parser\n"
        "leaves = build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'dagster', 'dagster_dbt', 'dbt', 'httpx'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]", done.stdout[:500]
