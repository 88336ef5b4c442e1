"""Run by .venv-airflow's python (not pytest): load every DAG file of the given folders with Airflow's own
DagBag and print, as JSON per folder, the import errors, each DAG's tasks with their upstream task ids and
operator class, and the data intervals of its first scheduled runs (the timetable's own computation).

    .venv-airflow/bin/python dagbag_dump.py DAG_FOLDER [DAG_FOLDER ...]
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _first_runs(dag: Any, count: int = 3) -> list[list[str]]:
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    if dag.timetable is None or not dag.timetable.can_be_scheduled:
        return []
    timetable = coerce_to_core_timetable(dag.timetable)
    restriction = TimeRestriction(earliest=dag.start_date, latest=dag.end_date, catchup=True)
    runs: list[list[str]] = []
    last = None
    for _ in range(count):
        info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info is None:
            break
        interval = info.data_interval
        runs.append([info.logical_date.isoformat(), interval.start.isoformat(), interval.end.isoformat()])
        last = interval
    return runs


def dump(folder: str) -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=folder)
    return {
        "import_errors": dict(bag.import_errors),
        "dags": {
            dag.dag_id: {
                "tasks": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
                "operators": {t.task_id: type(t).__name__ for t in dag.tasks},
                "retries": {t.task_id: t.retries for t in dag.tasks},
                "first_runs": _first_runs(dag),
            }
            for dag in bag.dags.values()
        },
    }


if __name__ == "__main__":
    print(json.dumps({folder: dump(folder) for folder in sys.argv[1:]}))
