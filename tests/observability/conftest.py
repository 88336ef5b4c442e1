"""Real loopback receivers (OpenLineage HTTP, OTLP/HTTP), dead endpoints, and a small dbt + Python project.

The project (tests/observability/project: bronze Python assets -> two silver dbt models -> one gold model)
is copied per test, parsed by dbt, described by a CompiledArtifacts file, and materialized in-process with
Dagster through `Observability`, exactly as the factory wires it.
"""

# No `from __future__ import annotations`: Dagster resolves the assets' annotations at definition time.
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_dbt import DbtCliResource, dbt_assets
from floe_core.artifacts import CompiledArtifacts
from floe_dagster.observability import Observability
from floe_projects import write_artifacts

PROJECT = Path(__file__).parent / "project"
SPEC_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "openlineage-spec"
DBT = Path(sys.executable).parent / "dbt"


# -- receivers ---------------------------------------------------------------------------------------
@dataclass
class Receiver:
    url: str
    lineage: list[dict[str, Any]] = field(default_factory=list)
    spans: list[Any] = field(default_factory=list)  # opentelemetry.proto Span messages
    resources: list[dict[str, str]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)  # Authorization headers of lineage posts
    paths: list[str] = field(default_factory=list)  # request paths as sent, query string included

    def events(self, job: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.lineage
            if (job is None or e["job"]["name"] == job) and (state is None or e["eventType"] == state)
        ]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.paths.append(self.path)
            path = self.path.split("?", 1)[0].rstrip("/")
            if path.endswith("/api/v1/lineage"):
                if self.headers.get("Authorization"):
                    receiver.authorizations.append(self.headers["Authorization"])
                receiver.lineage.append(json.loads(body))
                self._reply(201, b"", "application/json")
            elif path.endswith("/v1/traces"):
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                _collect(receiver, request)
                self._reply(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")
            else:
                self._reply(404, b"", "text/plain")

        def _reply(self, code: int, payload: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver(url="")))
    rec = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(rec)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


def _collect(receiver: Receiver, request: Any) -> None:
    """Record an ExportTraceServiceRequest's resources and spans (shared by the HTTP and gRPC receivers)."""
    for rs in request.resource_spans:
        receiver.resources.append({a.key: a.value.string_value for a in rs.resource.attributes})
        for ss in rs.scope_spans:
            receiver.spans.extend(ss.spans)


@pytest.fixture
def grpc_receiver() -> Iterator[Receiver]:
    """A real OTLP/gRPC collector on a loopback port (TraceService from opentelemetry-proto)."""
    from concurrent import futures

    import grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

    received = Receiver(url="")

    class TraceService(trace_service_pb2_grpc.TraceServiceServicer):  # type: ignore[misc]
        def Export(self, request: Any, context: Any) -> Any:
            _collect(received, request)
            return trace_service_pb2.ExportTraceServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    received.url = f"http://127.0.0.1:{port}"
    yield received
    server.stop(grace=None)


@pytest.fixture
def tarpit() -> Iterator[str]:
    """Accepts TCP connections (kernel backlog) and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                held.append(conn)  # keep it open, read nothing, say nothing
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    sock.close()


@pytest.fixture
def closed_port() -> str:
    """A port nobody listens on: connections are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


# -- JSON Schema validation of OpenLineage events ----------------------------------------------------------
@pytest.fixture(scope="session")
def validate_event() -> Any:
    from floe_testkit import require

    require(SPEC_DIR.is_dir(), f"OpenLineage JSON Schemas at {SPEC_DIR}")
    import jsonschema
    from referencing import Registry, Resource

    schemas = [
        json.loads(p.read_text()) for p in [SPEC_DIR / "OpenLineage.json", *SPEC_DIR.glob("facets/*.json")]
    ]
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas
    )
    by_url = {s["$id"]: s for s in schemas}
    core = "https://openlineage.io/spec/2-0-2/OpenLineage.json"

    def check(schema_ref: str, instance: Any) -> None:
        validator = jsonschema.Draft202012Validator({"$ref": schema_ref}, registry=registry)
        validator.validate(instance)

    def facet_dicts(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield from (event["run"].get("facets") or {}).values()
        yield from (event["job"].get("facets") or {}).values()
        for ds in [*event.get("inputs", []), *event.get("outputs", [])]:
            for key in ("facets", "inputFacets", "outputFacets"):
                yield from (ds.get(key) or {}).values()

    def validate(event: dict[str, Any]) -> int:
        """Validate the event and each facet against its own schema; returns how many facets were checked."""
        check(f"{core}#/$defs/RunEvent", event)
        count = 0
        for facet in facet_dicts(event):
            url, _, pointer = facet["_schemaURL"].partition("#")
            assert url in by_url, f"facet schema {url} is not a standard OpenLineage facet"
            check(f"{url}#{pointer}", facet)
            count += 1
        return count

    return validate


# -- the project ---------------------------------------------------------------------------------------------
@dataclass
class Project:
    root: Path
    duckdb_path: Path
    artifacts_path: Path


def make_project(
    tmp_path: Path,
    observability: dict[str, Any],
    level: str = "per_model",
    broken: bool = False,
    extra_models: dict[str, str] | None = None,
) -> Project:
    """Copy the project, write floe.yaml/profiles, `dbt parse`, and write compiled artifacts.

    `extra_models`: file name under models/ -> content (SQL or a dbt-duckdb Python model)."""
    root = tmp_path / "proj"
    shutil.copytree(PROJECT, root / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    if broken:
        (root / "dbt" / "models" / "broken_gold.sql").write_text(
            "select nope from {{ ref('stg_orders') }}\n", encoding="utf-8"
        )
    for name, content in (extra_models or {}).items():
        (root / "dbt" / "models" / name).write_text(content, encoding="utf-8")
    db = root / "warehouse.duckdb"
    spec = {
        "name": "obs_test",
        "version": "1.0",
        "compute": {
            "default": "dev",
            "targets": {"dev": {"type": "duckdb", "properties": {"path": str(db)}}},
        },
        "transforms": [{"type": "dbt", "path": "dbt"}],
        "governance": {"classifications": {"stg_customers": {"email": "pii"}}},
        "observability": observability,
        "orchestration": {"dbt": {"observability_level": level}},
    }
    (root / "floe.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    profiles = root / ".floe" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "profiles.yml").write_text(
        yaml.safe_dump(
            {
                "floe_obs": {
                    "target": "dev",
                    "outputs": {"dev": {"type": "duckdb", "path": str(db), "threads": 2}},
                }
            }
        ),
        encoding="utf-8",
    )
    target = root / ".floe" / "dbt"
    subprocess.run(
        [
            str(DBT),
            "parse",
            "--project-dir",
            str(root / "dbt"),
            "--profiles-dir",
            str(profiles),
            "--target-path",
            str(target),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "DO_NOT_TRACK": "1"},
    )
    from floe_core.artifacts import DbtArtifacts

    dbt = DbtArtifacts(
        project_dir="dbt",
        profiles_dir=".floe/profiles",
        profile_name="floe_obs",
        target="dev",
        manifest_path=".floe/dbt/manifest.json",
    )
    path = write_artifacts(root, spec, dbt)
    return Project(root=root, duckdb_path=db, artifacts_path=path)


def build_definitions(project: Project, fail_python: bool = False) -> tuple[Any, Any]:
    """(assets, resources) wired like the factory: Python assets via wrap_assets, dbt via observe_dbt."""

    artifacts = CompiledArtifacts.load(project.artifacts_path)
    observer = Observability.from_artifacts(artifacts)
    db = str(project.duckdb_path)

    def write(table: str, sql: str) -> MaterializeResult:
        with duckdb.connect(db) as conn:
            conn.execute("create schema if not exists bronze")
            conn.execute(f"create or replace table bronze.{table} as {sql}")
        return MaterializeResult(metadata={"table": f"bronze.{table}"})

    @asset(group_name="bronze")
    def raw_customers() -> MaterializeResult:
        if fail_python:
            raise ValueError("upstream file customers.csv is missing")
        return write(
            "raw_customers",
            "select * from (values (1, 'ada', 'a@x.io'), (2, 'bob', 'b@x.io')) t(id, name, email)",
        )

    @asset(group_name="bronze")
    def raw_orders(context: AssetExecutionContext) -> MaterializeResult:
        context.log.info("writing orders")
        return write(
            "raw_orders",
            "select * from (values (1, 1, 2.5), (2, 1, 3.0), (3, 2, 1.0)) t(id, customer_id, amount)",
        )

    @dbt_assets(manifest=artifacts.resolve(artifacts.dbt.manifest_path))  # type: ignore[union-attr]
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):  # type: ignore[no-untyped-def]
        yield from observer.observe_dbt(context, dbt.cli(["build"], context=context))

    dbt = DbtCliResource(
        project_dir=str(project.root / "dbt"),
        profiles_dir=str(project.root / ".floe" / "profiles"),
        target="dev",
        dbt_executable=str(DBT),
    )
    assets = [*observer.wrap_assets([raw_customers, raw_orders]), dbt_models]
    return assets, {"dbt": dbt}


@pytest.fixture
def project_factory(tmp_path: Path) -> Any:
    def factory(observability: dict[str, Any], **kwargs: Any) -> Project:
        return make_project(tmp_path, observability, **kwargs)

    return factory


def materialize_project(project: Project, python_only: bool = False, **kwargs: Any) -> Any:
    from dagster import DagsterInstance, materialize

    assets, resources = build_definitions(project, **kwargs)
    if python_only:  # bronze assets alone: the wrapper path without a dbt process
        assets = assets[:-1]
    with DagsterInstance.ephemeral() as instance:
        return materialize(assets, resources=resources, instance=instance, raise_on_error=False)


@pytest.fixture(autouse=True)
def _quiet_dbt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    for var in (
        "OPENLINEAGE_URL",
        "OPENLINEAGE_DISABLED",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_SDK_DISABLED",
        "OPENLINEAGE_NAMESPACE",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def run_project() -> Any:
    return materialize_project


@pytest.fixture
def definitions_for() -> Any:
    """`build_definitions(project, fail_python=False) -> (assets, resources)`, wired like the factory."""
    return build_definitions
