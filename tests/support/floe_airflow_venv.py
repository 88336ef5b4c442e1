"""Airflow's own venv for tests (importable as `floe_airflow_venv`): `.venv-airflow`, built by `make
airflow-venv` (exactly airflow/requirements.lock, with floe-core and floe-airflow installed editable).

`airflow_venv()` runs `make airflow-venv` once per test process (a no-op when up to date; serialized across
xdist workers by a file lock) and returns the venv's bin folder. Like `floe_testkit.require`: a venv that
cannot be built skips locally and fails under CI=true.
"""

from __future__ import annotations

import fcntl
import functools
import os
import subprocess
from pathlib import Path

from floe_testkit import require

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv-airflow"


@functools.cache
def _build() -> str | None:
    lock = REPO / ".venv-airflow.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        done = subprocess.run(
            ["make", "--no-print-directory", "airflow-venv"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=1200,
        )
    if done.returncode != 0 or not (VENV / "bin" / "airflow").exists():
        return f"`make airflow-venv` exited {done.returncode}: {(done.stdout + done.stderr)[-2000:]}"
    return None


def airflow_venv() -> Path:
    """.venv-airflow/bin, built if needed; skips (locally) or fails (CI=true) when it cannot be built."""
    failure = _build()
    require(failure is None, f"Airflow's venv (.venv-airflow): {failure}")
    return VENV / "bin"


def airflow_env(home: Path, dags: Path) -> dict[str, str]:
    """Environment of an `airflow` command on a temporary home (SQLite) and a DAG folder."""
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
