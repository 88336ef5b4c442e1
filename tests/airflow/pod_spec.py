"""Run by .venv-airflow's python (not pytest): import a rendered DAG file, prepare one task of the
kubernetes runtime for a logical date (no cluster: only the pod request is built) and print it as JSON.

    .venv-airflow/bin/python pod_spec.py DAG_FILE TASK_ID LOGICAL_DATE_ISO
"""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import datetime
from types import SimpleNamespace


def main(path: str, task_id: str, logical_date: str) -> None:
    spec = importlib.util.spec_from_file_location("rendered_dag", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    task = next(t for t in _tasks(module) if t.task_id == task_id)
    context = {
        "logical_date": datetime.fromisoformat(logical_date),
        "dag_run": SimpleNamespace(conf={}, run_after=None, run_id="manual__test"),
    }
    task.floe_prepare(context)
    pod = task.build_pod_request_obj(None, dry_run=True)
    container = pod.spec.containers[0]
    print(
        json.dumps(
            {
                "namespace": pod.metadata.namespace,
                "service_account": pod.spec.service_account_name,
                "image": container.image,
                "command": container.command,
                "args": container.args,
                "env": [e.to_dict() for e in container.env or []],
                "resources": container.resources.to_dict() if container.resources else None,
                "retries": task.retries,
            },
            default=str,
        )
    )


def _tasks(module: object) -> list[object]:
    from airflow.sdk import BaseOperator

    return [v for v in vars(module).values() if isinstance(v, BaseOperator)]


if __name__ == "__main__":
    main(*sys.argv[1:4])
