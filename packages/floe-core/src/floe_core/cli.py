"""The `floe` command: `init`, `validate`, `compile`, `schema`, plus sub-commands contributed by other packages.

Extending: a package adds sub-commands through the entry point group `floe.commands`. Each entry point is a
callable `register(subparsers: argparse._SubParsersAction) -> None` that adds its parser and sets
`func=callable(args: argparse.Namespace) -> int` as its default, e.g.

    def register(subparsers):
        parser = subparsers.add_parser("partitions", help="list partition keys")
        add_config_argument(parser)           # -c/--config with floe's defaults (see below)
        parser.set_defaults(func=run)         # run(args) -> exit code; args.config is a Path

Exit codes: 0 success, 1 a user error (FloeError: message on stderr, no traceback), 2 an unexpected error
(a short message; the traceback only with `--debug` or FLOE_DEBUG=1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import traceback
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path

from floe_core.errors import FloeError
from floe_core.fs import atomic_write_text

CONFIG_NAME = "floe.yaml"
COMMANDS_GROUP = "floe.commands"
BUILTIN_COMMANDS = frozenset({"init", "validate", "compile", "schema"})
DEFAULT_DAGSTER_HOME = ".floe/dagster_home"  # `floe init --dagster-home` without a folder
# distributions whose versions `floe --version` shows (floe-data-core always; the others when installed)
FLOE_DISTRIBUTIONS = (
    "floe-data-core",
    "floe-data-dbt",
    "floe-data-dagster",
    "floe-data-api",
    "floe-data-airflow",
)


def installed_versions() -> dict[str, str]:
    """Version of each installed floe distribution (floe-data-core is listed even without metadata)."""
    found: dict[str, str] = {}
    for name in FLOE_DISTRIBUTIONS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            if name == "floe-data-core":
                found[name] = "0+unknown (no package metadata)"
    return found


def _version_text() -> str:
    return "\n".join(f"{name} {number}" for name, number in installed_versions().items())


def examples(*lines: str) -> str:
    """The `examples:` epilog of a command's --help (with RawDescriptionHelpFormatter)."""
    return "examples:\n" + textwrap.indent("\n".join(lines), "  ")


def _add_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, examples: str
) -> argparse.ArgumentParser:
    return subparsers.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def find_config(start: Path | None = None) -> Path:
    """./floe.yaml, else the nearest floe.yaml in a parent folder."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise FloeError(f"no {CONFIG_NAME} in {here} or any parent folder: pass -c PATH/TO/{CONFIG_NAME}")


def config_path(args: argparse.Namespace) -> Path:
    """The floe.yaml a command works on: `-c` if given, else found from the current folder upward."""
    given: Path | None = getattr(args, "config", None)
    return given if given is not None else find_config()


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=None,
        help=f"path of {CONFIG_NAME} (default: ./{CONFIG_NAME}, else upward)",
    )


def _init(args: argparse.Namespace) -> int:
    from floe_core.scaffold import DEFINITIONS_NAME, plan_init, write_init

    folder: Path = args.path if args.path is not None else Path.cwd()
    if folder.exists() and not folder.is_dir():
        raise FloeError(f"--path {folder}: is a file; expected a folder")
    folder.mkdir(parents=True, exist_ok=True)
    plan = plan_init(folder, name=args.name, dbt_project=args.dbt_project, dagster_home=args.dagster_home)
    for line in write_init(plan, force=args.force):
        print(line)
    if plan.dbt is not None:
        print(f"dbt project: {plan.dbt.path} (profile {plan.dbt.profile or plan.dbt.name or plan.name})")
    else:
        print("no dbt project found here or one level below: add one and a `transforms:` entry to floe.yaml")
    home = (plan.dagster_home or folder / DEFAULT_DAGSTER_HOME).resolve()
    create = "" if plan.dagster_home is not None else f"mkdir -p {home} && "
    print(
        "next:\n"
        f"  cd {folder}\n"
        "  floe validate && floe compile\n"
        f"  {create}export DAGSTER_HOME={home}  # Dagster's instance folder\n"
        f"  dagster dev -f {DEFINITIONS_NAME}"
    )
    return 0


def _validate(args: argparse.Namespace) -> int:
    from floe_core.loader import load_spec
    from floe_core.workflows.cli import validate_workflows

    path = config_path(args)
    spec = load_spec(path)
    workflows = validate_workflows(spec, path)  # workflow specs too (docs/workflows.md)
    if spec.triggers is not None:  # and the downstream triggers (docs/triggers.md)
        from floe_core.triggers import load_triggers

        known = [*spec.orchestration.jobs, *(w.name for w in workflows.workflows)]
        load_triggers(path.parent / spec.triggers.path, known_jobs=known)
    count = len(workflows.workflows)
    print(f"{path} is valid" + (f" ({count} workflow{'s' if count != 1 else ''})" if count else ""))
    return 0


def _compile(args: argparse.Namespace) -> int:
    from floe_core.artifacts import ARTIFACTS_FILENAME, DEFAULT_OUTPUT_DIR
    from floe_core.compiler import compile_project

    path = config_path(args)
    artifacts = compile_project(path, output_dir=args.output)
    output = args.output if args.output is not None else path.parent / DEFAULT_OUTPUT_DIR
    print(f"compiled {path} -> {output / ARTIFACTS_FILENAME}")
    if artifacts.dbt is None:
        print("note: no compile step produced dbt artifacts (is floe-dbt installed?)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from floe_core.schema import spec_json_schema

    text = json.dumps(spec_json_schema(), indent=2) + "\n"
    if args.output:
        atomic_write_text(args.output, text)
        print(f"wrote the floe.yaml JSON Schema to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _register_plugins(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for ep in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        try:
            ep.load()(subparsers)
        except Exception as exc:  # a broken plugin must not take `floe validate` down with it
            print(f"floe: warning: sub-commands from {ep.value} unavailable: {exc}", file=sys.stderr)


def build_parser(*, plugins: bool = True, workflow_verbs: bool | None = None) -> argparse.ArgumentParser:
    """The argument parser; `plugins=False` skips `floe.commands` (they may import heavy packages), and
    `workflow_verbs=False` the `floe.workflow_commands` (default: as `plugins`)."""
    parser = argparse.ArgumentParser(
        prog="floe",
        description="floe.yaml -> a Dagster code location for dbt",
        epilog=examples(
            "floe init                      # start a project here (finds the dbt project)",
            "floe validate                  # every problem in ./floe.yaml (or the nearest one upward)",
            "floe compile                   # write .floe/ for `dagster dev -f definitions.py`",
            "floe workflow plan NAME --date 2024-01-02   # the exact commands a workflow runs that day",
            "floe COMMAND --help            # options and examples of one command",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    parser.add_argument(
        "--version", action="version", version=_version_text(), help="show the versions of floe's packages"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    init = _add_command(
        subparsers,
        "init",
        "start a floe project: floe.yaml, definitions.py, .gitignore entries (never overwrites)",
        examples(
            "floe init                                  # here; uses the dbt project here or one level below",
            "floe init --path shop --name shop          # in ./shop (created if missing)",
            "floe init --dbt-project transform          # choose among several dbt projects",
            "floe init --dagster-home .dagster          # also .dagster/dagster.yaml (set DAGSTER_HOME to it)",
            "floe init --force                          # replace floe.yaml and definitions.py",
        ),
    )
    init.add_argument("--path", type=Path, default=None, help="project folder (default: the current folder)")
    init.add_argument(
        "--name", default=None, help="project name (default: the dbt project's, else the folder's)"
    )
    init.add_argument(
        "--dbt-project",
        default=None,
        metavar="PATH",
        help="dbt project folder, relative to the project folder",
    )
    init.add_argument(
        "--dagster-home",
        type=Path,
        nargs="?",
        const=Path(DEFAULT_DAGSTER_HOME),
        default=None,
        metavar="DIR",
        help=f"also write DIR/dagster.yaml for DAGSTER_HOME (DIR default: {DEFAULT_DAGSTER_HOME})",
    )
    init.add_argument("--force", action="store_true", help="replace existing files instead of refusing")
    init.set_defaults(func=_init)

    validate = _add_command(
        subparsers,
        "validate",
        "check floe.yaml and list every problem",
        examples(
            "floe validate                          # ./floe.yaml, else the nearest floe.yaml upward",
            "floe validate -c path/to/floe.yaml",
            "FLOE_TARGET=prod floe validate         # with the environment of another target",
        ),
    )
    add_config_argument(validate)
    validate.set_defaults(func=_validate)

    compile_ = _add_command(
        subparsers,
        "compile",
        "validate and write .floe/ (artifacts, profiles, manifest)",
        examples(
            "floe compile                           # writes .floe/ next to floe.yaml",
            "floe compile -c project/floe.yaml -o build/.floe",
            "FLOE_TARGET=prod floe compile          # compile for the prod target",
        ),
    )
    add_config_argument(compile_)
    compile_.add_argument(
        "-o", "--output", type=Path, default=None, help="output folder (default: .floe next to floe.yaml)"
    )
    compile_.set_defaults(func=_compile)

    schema = _add_command(
        subparsers,
        "schema",
        "print the JSON Schema of floe.yaml (for editors)",
        examples(
            "floe schema -o floe.schema.json        # then, first line of floe.yaml:",
            "# yaml-language-server: $schema=./floe.schema.json",
        ),
    )
    schema.add_argument("-o", "--output", type=Path, default=None, help="write it to this file instead")
    schema.set_defaults(func=_schema)

    from floe_core.workflows.cli import register_workflow_commands

    # `floe workflow ...` (+ floe.workflow_commands)
    register_workflow_commands(subparsers, plugins=plugins if workflow_verbs is None else workflow_verbs)
    if plugins:
        _register_plugins(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in arguments if not a.startswith("-")), None)
    # built-in commands (and --version) never pay for importing the packages that contribute other ones;
    # `floe workflow ...` loads only the workflow verbs of other packages, not every floe.commands plugin
    builtin = command in BUILTIN_COMMANDS or (command is None and "--version" in arguments)
    args = build_parser(plugins=not builtin and command != "workflow", workflow_verbs=not builtin).parse_args(
        arguments
    )
    debug = args.debug or os.environ.get("FLOE_DEBUG", "") not in ("", "0", "false")
    try:
        code: int = args.func(args)
        return code
    except FloeError as exc:
        print(f"floe: error: {exc}" if "\n" not in str(exc) else str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("floe: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        else:
            notes = "".join(f" ({n})" for n in getattr(exc, "__notes__", []))
            print(
                f"floe: internal error: {type(exc).__name__}: {exc}{notes}\n"
                "run again with --debug (or FLOE_DEBUG=1) for the traceback, and please report it",
                file=sys.stderr,
            )
        return 2


if __name__ == "__main__":
    sys.exit(main())
