"""floe on Airflow: DAG files generated from workflow specs (`floe airflow render`, docs/airflow.md).

floe_airflow.render writes the files (no Airflow import); floe_airflow.runtime is what those files import,
inside Airflow's own venv (.venv-airflow).
"""

from __future__ import annotations

from floe_airflow.render import dag_file_name, graph_of, render_dag, write_dags

__all__ = ["dag_file_name", "graph_of", "render_dag", "write_dags"]
