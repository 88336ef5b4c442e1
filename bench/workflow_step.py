"""A workflow step against the bare run of the same container (or process), in one process, alternated.

    python bench/workflow_step.py <runtime: docker|subprocess> <pairs> <workdir>

floe side: a one-job workflow (`sleep 1`) executed on an ephemeral Dagster instance; its time is the step's
duration in Dagster's event log (render_plan, the Pipes session, container create/start/wait/remove).
bare side: the same image and command through the same API with nothing around it (docker SDK
`containers.run(..., remove=True)`), or the same command as a plain process. Prints JSON samples.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

IMAGE = "floe-test/busybox:1"  # tests/support/floe_containers.py, built by containers/build.sh busybox
COMMAND = ["sleep", "1"]


def project(root: Path, runtime: str) -> Path:
    (root / "workflows" / "step").mkdir(parents=True, exist_ok=True)
    (root / "floe.yaml").write_text(
        "name: benchstep\nversion: '1.0'\ncompute:\n  default: dev\n  targets:\n"
        "    dev: {type: duckdb, properties: {path: b.duckdb}}\n"
        f"workflows:\n  path: workflows\n  runtime: {{type: {runtime}, docker: {{pull: never}}}}\n"
    )
    (root / "workflows" / "step" / "workflow.yaml").write_text(
        "workflow:\n  name: step\n  jobs:\n    - job:\n        name: sleeper\n"
        f"        image: {IMAGE}\n        command: {json.dumps(COMMAND)}\n      depends_on: []\n"
    )
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "floe"), "compile"], cwd=root, check=True, capture_output=True)
    return root / ".floe" / "compiled_artifacts.json"


def main() -> int:
    runtime, pairs, workdir = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    from dagster import DagsterInstance
    from floe_dagster import FloeDefinitions

    job = FloeDefinitions.from_compiled_artifacts(project(workdir, runtime)).resolve_job_def("step")
    client = None
    if runtime == "docker":
        import docker

        client = docker.from_env()

    def bare() -> float:
        start = time.perf_counter()
        if client is not None:
            client.containers.run(IMAGE, COMMAND, remove=True, entrypoint=[])
        else:
            subprocess.run(COMMAND, check=True)
        return time.perf_counter() - start

    def floe() -> tuple[float, float]:
        with DagsterInstance.ephemeral() as instance:
            start = time.perf_counter()
            result = job.execute_in_process(instance=instance, raise_on_error=True)
            wall = time.perf_counter() - start
            (stats,) = instance.get_run_step_stats(result.run_id)
            assert stats.start_time is not None and stats.end_time is not None
            return stats.end_time - stats.start_time, wall

    bare(), floe()  # warm: image cache, imports, the first Pipes session
    samples: dict[str, list[float]] = {"bare": [], "floe_step": [], "floe_run": []}
    for _ in range(pairs):
        samples["bare"].append(bare())
        step, wall = floe()
        samples["floe_step"].append(step)
        samples["floe_run"].append(wall)
    import resource

    samples["max_rss_mb"] = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
    print(json.dumps(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
