"""tests/airflow: floe's workflows on Airflow 3 (floe-airflow), in Airflow's own venv (floe_airflow_venv).
This folder is put on sys.path for its helper modules (airflow_test_projects, and the scripts run by
.venv-airflow's python)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from floe_airflow_venv import airflow_venv

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def airflow_bin() -> Path:
    return airflow_venv()
