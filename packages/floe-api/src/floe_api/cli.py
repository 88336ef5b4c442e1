"""`floe api serve|token` and `floe workflow run/backfill/stop/approve/reject/status/list/history/pause/
unpause/register/unregister` (talking to the API; a table by default, `--json` for scripts; exit codes in client.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_core.cli import add_config_argument, examples
from floe_core.workflows.cli import parse_params
from floe_core.workflows.manual_store import is_object_store

if TYPE_CHECKING:
    Sub = argparse._SubParsersAction[argparse.ArgumentParser]

from floe_api.client import ApiFailure, Client


# -- floe api -------------------------------------------------------------------------------------------
def register_api(subparsers: Sub) -> None:
    group = subparsers.add_parser("api", help="the workflow API server (docs/workflow-api.md)")
    verbs = group.add_subparsers(dest="api_command", metavar="VERB", required=True)
    serve = verbs.add_parser(
        "serve",
        help="serve the workflow API (uvicorn)",
        epilog=examples(
            "floe api serve                                   # http://127.0.0.1:8000/docs",
            "FLOE_API_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/floe floe api serve --port 8080",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_argument(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=_serve)
    token = verbs.add_parser(
        "token",
        help="create a bearer token (printed once; stored hashed)",
        epilog=examples("floe api token ci@example.com --role developer"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_argument(token)
    token.add_argument("subject", help="who the token is for, e.g. user@example.com")
    token.add_argument("--role", choices=("admin", "developer", "viewer"), default="viewer")
    token.set_defaults(func=_token)


def _root(args: argparse.Namespace) -> Path:
    config: Path | None = args.config
    return (config.parent if config is not None else Path.cwd()).resolve()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from floe_api.app import create_app
    from floe_api.settings import Settings

    settings = Settings.from_env(_root(args))
    if not is_object_store(settings.store):
        Path(settings.store).mkdir(parents=True, exist_ok=True)
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _token(args: argparse.Namespace) -> int:
    from floe_api.registry import Registry
    from floe_api.settings import Settings

    settings = Settings.from_env(_root(args))
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    registry = Registry(settings.database_url)
    print(registry.create_token(args.subject, args.role))
    registry.dispose()
    return 0


VERB_EXAMPLES: dict[str, tuple[str, ...]] = {
    "run": (
        "floe workflow run daily_sales_pipeline",
        "floe workflow run daily_sales_pipeline --param source=replica_db --json",
        "floe workflow run daily_sales_pipeline --dry-run          # the rendered commands, nothing runs",
    ),
    "backfill": (
        "floe workflow backfill daily_sales_pipeline --start 2024-01-01 --end 2024-01-07",
        "floe workflow backfill daily_sales_pipeline --start 2024-01-01 --end 2024-01-07 --sequential --dry-run",
    ),
    "stop": ("floe workflow stop 3f0c1a2e-... --reason 'wrong params'",),
    "approve": ("floe workflow approve 3f0c1a2e-... --reason 'row drop expected: source migration'",),
    "reject": ("floe workflow reject 3f0c1a2e-... --reason 'late data, rerun tomorrow'",),
    "status": (
        "floe workflow status 3f0c1a2e-...",
        "floe workflow status 3f0c1a2e-... --json | jq .status   # exit 0 even while RUNNING",
    ),
    "list": (
        "floe workflow list",
        "floe workflow list --source-type MANUAL --status paused --json",
    ),
    "history": ("floe workflow history --name daily_sales_pipeline --start 2024-01-01 --limit 50",),
    "pause": (
        "floe workflow pause daily_sales_pipeline --reason 'source outage'",
        "floe workflow pause --all --reason 'maintenance window'   # admin",
    ),
    "unpause": ("floe workflow unpause daily_sales_pipeline",),
    "register": (
        "floe workflow register adhoc_export workflow.yaml --owner me@example.com --cron '0 6 * * *'",
    ),
    "unregister": (
        "floe workflow unregister adhoc_export",
        "floe workflow unregister adhoc_export --force   # stops its active runs",
    ),
}


# -- floe workflow <verb> --------------------------------------------------------------------------------
def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the workflow API (default: $FLOE_API_URL or http://127.0.0.1:8000)")
    parser.add_argument("--token", help="bearer token (default: $FLOE_API_TOKEN)")
    parser.add_argument("--json", action="store_true", help="print the API's JSON answer")


def register_verbs(verbs: Sub) -> None:
    def add(name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
        parser = verbs.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=examples(*VERB_EXAMPLES[name], "(--url / $FLOE_API_URL, --token / $FLOE_API_TOKEN)"),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _common(parser)
        parser.set_defaults(func=lambda args: _run(func, args))
        return parser

    p = add("run", "trigger a run of a workflow", _cmd_run)
    p.add_argument("name")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--dry-run", action="store_true")
    p = add("backfill", "one run per date from --start to --end", _cmd_backfill)
    p.add_argument("name")
    p.add_argument("--start", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--end", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--sequential", action="store_true", help="one date at a time (parallel=false)")
    p.add_argument("--dry-run", action="store_true")
    run_verbs = (
        ("stop", "stop a run", _cmd_stop),
        ("approve", "approve a run waiting for approval (PENDING_APPROVAL): on_approval fires", _cmd_approve),
        ("reject", "reject a run waiting for approval (PENDING_APPROVAL)", _cmd_reject),
    )
    for verb, help_text, func in run_verbs:
        p = add(verb, help_text, func)
        p.add_argument("run_id")
        p.add_argument("--reason", help="recorded with who and when")
    p = add("status", "a run's status and progress", _cmd_status)
    p.add_argument("run_id")
    p = add("list", "workflows known to the API (CODE and MANUAL)", _cmd_list)
    p.add_argument("--status", choices=("active", "paused", "disabled"))
    p.add_argument("--source-type", choices=("MANUAL", "CODE"))
    p.add_argument("--owner")
    p.add_argument("--limit", type=int, default=50)
    p = add("history", "runs, newest first", _cmd_history)
    p.add_argument("--dataset-name", "--name", dest="dataset_name")
    p.add_argument("--start", metavar="YYYY-MM-DD")
    p.add_argument("--end", metavar="YYYY-MM-DD")
    p.add_argument("--limit", type=int, default=20)
    p = add("pause", "stop a workflow's schedules and sensors", _cmd_pause)
    p.add_argument("name", nargs="?")
    p.add_argument("--reason")
    p.add_argument("--all", action="store_true", help="every workflow (admin; a maintenance window)")
    p = add("unpause", "start a workflow's schedules and sensors again", _cmd_unpause)
    p.add_argument("name")
    p = add("register", "register a MANUAL workflow from a YAML file", _cmd_register)
    p.add_argument("name")
    p.add_argument("file", type=Path, help="the workflow's YAML")
    p.add_argument("--owner", required=True)
    p.add_argument("--team")
    p.add_argument("--description")
    p.add_argument("--cron")
    p.add_argument("--timezone", default="UTC")
    p = add("unregister", "unregister a MANUAL workflow", _cmd_unregister)
    p.add_argument("name")
    p.add_argument("--force", action="store_true", help="stop its active runs")


def _run(func: Any, args: argparse.Namespace) -> int:
    client = Client(args.url, args.token)
    try:
        result = func(client, args)
    except ApiFailure as exc:
        print(f"floe: error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(result, indent=2))
    elif isinstance(result, dict) and result.get("plan"):
        print(_plan_text(result))
    else:
        rows = result if isinstance(result, list) else [result]
        print(_table(rows))
    return 0


def _plan_text(result: dict[str, Any]) -> str:
    """A dry run's plan, one job after another (as `floe workflow plan` prints it locally)."""
    lines = [f"dry run of {result['dataset_name']} (params {result['params']}): nothing launched"]
    for job in result["plan"]:
        lines.append(f"{job['job']}: {job['image']}")
        lines.append(f"  argv: {json.dumps(job['argv'])}")
        if job["env"]:
            lines.append("  env: " + " ".join(f"{k}={v}" for k, v in sorted(job["env"].items())))
        if job["depends_on"]:
            lines.append(f"  after: {', '.join(job['depends_on'])}")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(none)"
    headers = list(rows[0])
    cells = [[_cell(r.get(h)) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def _cmd_run(client: Client, args: argparse.Namespace) -> Any:
    body = {"params": parse_params(args.param), "dry_run": args.dry_run}
    return client.call("POST", f"/{args.name}/run", json=body)


def _cmd_backfill(client: Client, args: argparse.Namespace) -> Any:
    body = {
        "start_date": args.start,
        "end_date": args.end,
        "params": parse_params(args.param),
        "parallel": not args.sequential,
        "dry_run": args.dry_run,
    }
    return client.call("POST", f"/{args.name}/backfill", json=body)


def _cmd_stop(client: Client, args: argparse.Namespace) -> Any:
    return client.call("POST", f"/runs/{args.run_id}/stop", json={"reason": args.reason})


def _cmd_approve(client: Client, args: argparse.Namespace) -> Any:
    return client.call("POST", f"/runs/{args.run_id}/approve", json={"reason": args.reason})


def _cmd_reject(client: Client, args: argparse.Namespace) -> Any:
    return client.call("POST", f"/runs/{args.run_id}/reject", json={"reason": args.reason})


def _cmd_status(client: Client, args: argparse.Namespace) -> Any:
    return client.call("GET", f"/runs/{args.run_id}")


def _query(**values: object) -> dict[str, object]:
    return {k: v for k, v in values.items() if v is not None}


def _cmd_list(client: Client, args: argparse.Namespace) -> Any:
    params = _query(status=args.status, source_type=args.source_type, owner=args.owner, limit=args.limit)
    return client.call("GET", "", params=params)


def _cmd_history(client: Client, args: argparse.Namespace) -> Any:
    params = _query(
        dataset_name=args.dataset_name, start_date=args.start, end_date=args.end, limit=args.limit
    )
    return client.call("GET", "/history", params=params)


def _cmd_pause(client: Client, args: argparse.Namespace) -> Any:
    if args.all:
        return client.call("POST", "/pause-all", json={"reason": args.reason})
    if not args.name:
        raise ApiFailure(3, "pause: give a workflow name or --all")
    return client.call("POST", f"/{args.name}/pause", json={"reason": args.reason})


def _cmd_unpause(client: Client, args: argparse.Namespace) -> Any:
    return client.call("POST", f"/{args.name}/unpause")


def _cmd_register(client: Client, args: argparse.Namespace) -> Any:
    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ApiFailure(1, f"{args.file}: {exc.strerror}") from None
    body: dict[str, object] = {
        "dataset_name": args.name,
        "owner": args.owner,
        "team": args.team,
        "description": args.description,
        "yaml_content": text,
    }
    if args.cron:
        body["schedule"] = {"cron": args.cron, "timezone": args.timezone}
    return client.call("POST", "/register", json=body)


def _cmd_unregister(client: Client, args: argparse.Namespace) -> Any:
    return client.call("DELETE", f"/{args.name}", params={"force": str(args.force).lower()})
