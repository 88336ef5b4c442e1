"""`floe partitions`, `floe backfill` and `floe metrics`: sub-commands registered through entry point group
`floe.commands`.

They work on the Dagster instance of $DAGSTER_HOME (the one `dagster dev` uses), so keys added and runs
launched here show up in the UI. Registering them imports no Dagster: `floe --help` and every other command
build this parser too, and Dagster costs seconds to import; each command imports what it runs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_core.cli import examples
from floe_core.errors import FloeError
from floe_core.urls import DEFAULT_DAGSTER_URL

if TYPE_CHECKING:
    from dagster import DagsterInstance
    from floe_core.artifacts import CompiledArtifacts

    from floe_dagster.orchestration.backfills import BatchResult


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-a", "--artifacts", type=Path, default=None, help="compiled_artifacts.json or project"
    )


def _artifacts(args: argparse.Namespace) -> CompiledArtifacts:
    from floe_dagster.project import find_artifacts, load_artifacts

    return load_artifacts(find_artifacts(args.artifacts))


def _instance() -> DagsterInstance:
    from dagster import DagsterInstance

    if not os.environ.get("DAGSTER_HOME"):
        raise FloeError(
            "DAGSTER_HOME is not set: point it at the Dagster instance folder (as for `dagster dev`)"
        )
    return DagsterInstance.get()


def _key_pattern(artifacts: CompiledArtifacts, name: str) -> str:
    from floe_core.partition_keys import SAFE_KEY_PATTERN
    from floe_core.spec.orchestration.partitions import DynamicPartitions

    entry = artifacts.spec.orchestration.partitions.get(name)
    return entry.key_pattern if isinstance(entry, DynamicPartitions) else SAFE_KEY_PATTERN


def register_partitions(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "partitions",
        help="list, add or remove keys of dynamic partitions",
        epilog=examples(
            "floe partitions list daily                 # any partitions entry",
            "floe partitions add tenants acme globex    # dynamic partitions only (in $DAGSTER_HOME)",
            "floe partitions remove tenants globex",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(parser)
    parser.add_argument("action", choices=["list", "add", "remove"])
    parser.add_argument("name", help="name of a partitions entry in floe.yaml orchestration.partitions")
    parser.add_argument("keys", nargs="*", help="partition keys (add/remove)")
    parser.set_defaults(func=partitions_command)


def partitions_command(args: argparse.Namespace) -> int:
    from dagster import DynamicPartitionsDefinition
    from floe_core.partition_keys import check_partition_keys

    from floe_dagster.orchestration.partitions import build_partitions, dynamic_names

    artifacts = _artifacts(args)
    defs = build_partitions(artifacts.spec.orchestration)
    pdef = defs.get(args.name)
    if pdef is None:
        raise FloeError(
            f"unknown partitions {args.name!r}; floe.yaml orchestration.partitions: {sorted(defs) or 'none'}"
        )
    if args.action != "list" and not isinstance(pdef, DynamicPartitionsDefinition):
        raise FloeError(
            f"partitions {args.name!r} are not dynamic; keys can be added only to:"
            f" {dynamic_names(defs) or 'none'}"
        )
    if args.action != "list" and not args.keys:
        raise FloeError(f"`floe partitions {args.action}` needs at least one key")
    instance = _instance() if isinstance(pdef, DynamicPartitionsDefinition) else None
    if args.action == "add":
        assert instance is not None
        check_partition_keys(args.name, args.keys, _key_pattern(artifacts, args.name))
        existing = set(instance.get_dynamic_partitions(args.name))
        instance.add_dynamic_partitions(args.name, [k for k in args.keys if k not in existing])
    elif args.action == "remove":
        assert instance is not None
        existing = set(instance.get_dynamic_partitions(args.name))
        unknown = [k for k in args.keys if k not in existing]
        if unknown:
            raise FloeError(f"partitions {args.name!r} have no key(s) {unknown}")
        for key in args.keys:
            instance.delete_dynamic_partition(args.name, key)
    keys = pdef.get_partition_keys(dynamic_partitions_store=instance)
    for key in keys:
        print(key)
    print(f"{args.name}: {len(keys)} key(s)")
    return 0


def register_backfill(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backfill",
        help="run a named backfill from floe.yaml on the Dagster instance",
        epilog=examples(
            "floe backfill q1_2024                  # batches run here; re-running resumes after a failure",
            "floe backfill q1_2024 --submit         # handed to a running Dagster (webserver + daemon)",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(parser)
    parser.add_argument("name", help="name of an orchestration.backfills entry")
    parser.add_argument(
        "--submit",
        action="store_true",
        help="hand the backfill to a running Dagster (webserver + daemon) instead of running batches here",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("DAGSTER_URL", DEFAULT_DAGSTER_URL),
        help=f"the Dagster webserver for --submit (default: $DAGSTER_URL or {DEFAULT_DAGSTER_URL})",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print the runs' INFO events too (default: warnings only)",
    )
    parser.set_defaults(func=backfill_command)


def backfill_command(args: argparse.Namespace) -> int:
    from floe_dagster.definitions import build_definitions
    from floe_dagster.orchestration.backfills import backfill_plan, run_backfill

    artifacts = _artifacts(args)
    defs = build_definitions(artifacts)
    instance = _instance()
    if args.submit:
        from floe_dagster.orchestration.backfill_submit import submit_backfill

        plan = backfill_plan(defs, artifacts.spec.orchestration, args.name, instance)
        submitted = submit_backfill(plan, args.name, args.url)
        print(
            f"backfill {args.name}: submitted as Dagster backfill {submitted.backfill_id}"
            f" ({submitted.asset_partitions} asset partition(s)); the daemon runs it, follow it in the UI"
            f" ({args.url.rstrip('/')}/runs/b/{submitted.backfill_id})"
        )
        return 0

    def progress(i: int, n: int, result: BatchResult) -> None:
        keys = result.keys[0] if len(result.keys) == 1 else f"{result.keys[0]}..{result.keys[-1]}"
        run = f" (run {result.run_id})" if result.run_id else " (already succeeded)"
        print(f"[{i}/{n}] {keys}: {result.status}{run}", flush=True)

    report = run_backfill(
        defs,
        artifacts.spec.orchestration,
        args.name,
        instance,
        progress=progress,
        log_level="INFO" if args.verbose else "WARNING",
    )
    print(report.summary())
    return 0 if report.ok else 1


def register_metrics(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "metrics",
        help="Prometheus metrics of container workflows",
        epilog=examples("floe metrics serve --port 9464   # then scrape http://host:9464/metrics"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="metrics_verb", required=True)
    serve = verbs.add_parser(
        "serve",
        help="serve the workflow metrics (contract §10.1) read from the Dagster instance",
        epilog=examples("DAGSTER_HOME=~/dagster floe metrics serve --port 9464 --addr 127.0.0.1"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--port", type=int, default=9464, help="port to listen on (default: 9464)")
    serve.add_argument("--addr", default="0.0.0.0", help="address to bind (default: 0.0.0.0)")
    serve.add_argument(
        "--max-runs",
        type=int,
        default=None,
        help="most recent workflow runs read per scrape (default: 200)",
    )
    serve.set_defaults(func=metrics_serve_command)


def metrics_serve_command(args: argparse.Namespace) -> int:
    import threading

    from floe_dagster.workflows.metrics import DEFAULT_MAX_RUNS, serve

    max_runs = DEFAULT_MAX_RUNS if args.max_runs is None else args.max_runs
    if max_runs < 1:
        raise FloeError(f"--max-runs must be at least 1 (got {max_runs})")
    instance = _instance()
    try:
        server = serve(instance, args.port, args.addr, max_runs)
    except OSError as exc:
        raise FloeError(f"cannot listen on {args.addr}:{args.port}: {exc.strerror or exc}") from None
    print(f"floe metrics: serving http://{args.addr}:{args.port}/metrics (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    finally:
        server.shutdown()
    return 0
