"""Run dbt commands in a subprocess and keep what dbt said, so callers can show why it failed.

A subprocess (not dbtRunner) because dbt keeps process-global state (flags, adapters, invocation context)
and because the compile step needs a different environment for dbt than floe's own (placeholder values
for unset secrets). dbt runs with its cwd in the project folder, as dagster-dbt runs it, so relative
paths in profiles (e.g. a DuckDB file) mean the same thing at compile time and at run time.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from floe_core.errors import FloeError

# Never phone home, never colour the text we capture, and log JSON lines so errors can be picked out.
_DBT_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DBT_USE_COLORS": "false",
    "DBT_LOG_FORMAT": "json",
}
_TAIL_LINES = 40
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The dbt console script's body, run by this interpreter (`-m dbt.cli.main` triggers a runpy warning).
_DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.argv[0] = 'dbt'; sys.exit(cli())"


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _end_with_parent() -> None:
    """In the child, before dbt starts: the kernel sends it SIGTERM when its parent dies, however the
    parent died (`floe compile` killed with SIGKILL left `dbt parse` running as an orphan)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_setup() -> Callable[[], None] | None:
    # PR_SET_DEATHSIG follows the parent *thread*: only a dbt started from the main thread (floe compile)
    # gets it, so a dbt started by a worker thread does not die when that thread ends. Linux only.
    if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
        return _end_with_parent
    return None


@dataclass(frozen=True)
class DbtInvocation:
    """Where dbt runs and which profile/target it uses. Unset options are not passed to dbt."""

    project_dir: Path
    profiles_dir: Path | None = None
    profile: str | None = None
    target: str | None = None
    target_path: Path | None = None
    log_path: Path | None = None
    env: Mapping[str, str] | None = None  # the whole environment of the dbt process; default os.environ
    extra_env: Mapping[str, str] = field(default_factory=dict)  # added on top of `env`

    def options(self) -> list[str]:
        pairs = [
            ("--project-dir", self.project_dir),
            ("--profiles-dir", self.profiles_dir),
            ("--profile", self.profile),
            ("--target", self.target),
            ("--target-path", self.target_path),
            ("--log-path", self.log_path),
        ]
        return [item for flag, value in pairs if value is not None for item in (flag, str(value))]


@dataclass(frozen=True)
class DbtResult:
    """A finished dbt command: exit code and everything it printed."""

    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def error_text(self) -> str:
        """dbt's own error messages (level "error" log lines); else the tail of what it printed."""
        errors: list[str] = []
        for line in self.stdout.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            info = event.get("info", {}) if isinstance(event, dict) else {}
            if info.get("level") == "error" and info.get("msg"):
                errors.append(str(info["msg"]).strip())
        if errors:
            return "\n".join(errors)
        # Errors raised before dbt sets up logging (e.g. an unreadable dbt_project.yml) come as plain text.
        text = _ANSI.sub("", self.stdout + "\n" + self.stderr)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        return "\n".join(lines[-_TAIL_LINES:])


def run_dbt(args: Sequence[str], invocation: DbtInvocation, timeout: float | None = None) -> DbtResult:
    """Run `dbt <args> <invocation options>`; never raises for a dbt failure (see `check`)."""
    command = (sys.executable, "-c", _DBT_MAIN, *args, *invocation.options())
    env = {**(os.environ if invocation.env is None else invocation.env), **_DBT_ENV, **invocation.extra_env}
    try:
        done = subprocess.run(
            command,
            cwd=invocation.project_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            preexec_fn=_child_setup(),  # only set for a main-thread caller (see _child_setup)
        )
    except subprocess.TimeoutExpired as exc:
        raise FloeError(f"dbt {' '.join(args)} did not finish within {timeout} seconds") from exc
    return DbtResult(command, done.returncode, done.stdout, done.stderr)


def check(result: DbtResult, what: str) -> DbtResult:
    """Raise a FloeError "<what> failed" carrying dbt's own error text unless the command succeeded."""
    if result.ok:
        return result
    raise FloeError(f"{what} failed (exit code {result.returncode}):\n{result.error_text()}")
