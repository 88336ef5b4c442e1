"""Loading a code location does not pay for observability's run-time stack.

Every Dagster process loads the definitions (webserver, daemon, each sensor tick); few materialize. With
lineage and traces configured, loading must still leave openlineage-python, the OTel SDK exporters and
floe's observers unimported; the first observed materialization imports them (tested elsewhere: events
arrive).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from floe_projects import DEMO, compile_project, copy_project

RUNTIME_ONLY = (
    "openlineage.client.event_v2",
    "opentelemetry.sdk.trace",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "floe_dagster.observability.runtime",
    "floe_dagster.observability.telemetry",
    "floe_dagster.observability.lineage.column_lineage",
)

CHILD = """
import json, sys
from floe_dagster import FloeDefinitions
defs = FloeDefinitions.from_compiled_artifacts(sys.argv[1])
assert "floe_run_spans" in {s.name for s in defs.sensors}  # traces are exported: the run-span sensor exists
print(json.dumps(sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[2:])))))
"""


def test_loading_definitions_with_lineage_and_traces_on_imports_no_telemetry_stack(tmp_path: Path) -> None:
    project = copy_project(DEMO, tmp_path / "demo")
    compile_project(project)
    env = {
        **os.environ,
        "OPENLINEAGE_URL": "http://127.0.0.1:9",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        "FLOE_SCHEDULES_ON": "false",
    }
    env.pop("OPENLINEAGE_DISABLED", None)
    env.pop("OTEL_SDK_DISABLED", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(project / ".floe" / "compiled_artifacts.json"), *RUNTIME_ONLY],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
