"""`dagster dev` (webserver + daemon + code server) for tests (imported as `dev_server`): free port,
DAGSTER_HOME in a tmp dir, GraphQL polling, and the whole process group killed at the end.

A webserver that cannot bind its port does not end `dagster dev` (its daemon keeps running), and whatever holds
the port would answer the test's GraphQL: so `dagster_dev` yields only once the webserver on the port is the
one of this DAGSTER_HOME, and starts again on another port when the bind failed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from floe_ports import free_port

DAGSTER = str(Path(sys.executable).with_name("dagster"))
T = TypeVar("T")
BIND_FAILED = "address already in use"  # uvicorn's message when the webserver's port is taken
START_ATTEMPTS = 3
INSTANCE_INFO = "{ instance { info } }"


@dataclass
class DevServer:
    port: int
    home: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["data"]

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout: float) -> T:
        """Poll `probe` every second until it returns non-None; fail if dagster dev dies or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                raise AssertionError(f"dagster dev exited ({code}) waiting for {what}:\n{self.tail()}")
            try:
                found = probe()
            except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError, TypeError):
                found = None  # webserver still starting or the workspace still loading
            if found is not None:
                return found
            time.sleep(1)
        raise AssertionError(
            f"timed out after {timeout:.0f}s waiting for {what}; dagster dev's log ends:\n{self.tail()}"
        )

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def serves_this_instance(self) -> bool | None:
        """True once the webserver on `port` is this DAGSTER_HOME's; False when its bind failed; None meanwhile."""
        if BIND_FAILED in self.log.read_text(errors="replace"):
            return False
        try:
            info = self.graphql(INSTANCE_INFO)["instance"]["info"]
        except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError, TypeError):
            return None
        return True if f"base_dir: {self.home}\n" in info else None


@contextlib.contextmanager
def dagster_dev(
    project: Path, definitions: str, home: Path, env: dict[str, str], instance_yaml: str = ""
) -> Iterator[DevServer]:
    """`dagster dev -f <definitions>` in `project` on a free port with DAGSTER_HOME=`home` (its dagster.yaml:
    telemetry off, plus `instance_yaml`)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n" + instance_yaml)
    for _ in range(START_ATTEMPTS):
        server = _start(project, definitions, home, env)
        try:
            serving = server.wait_for("the webserver", server.serves_this_instance, 300)
        except BaseException:
            stop(server.proc)
            raise
        if serving:
            break
        stop(server.proc)  # its port was taken between free_port() and the bind: another port
    else:
        raise AssertionError(f"dagster dev's webserver found its port taken {START_ATTEMPTS} times")
    try:
        yield server
    finally:
        stop(server.proc)


def _start(project: Path, definitions: str, home: Path, env: dict[str, str]) -> DevServer:
    port = free_port()
    log_path = home.parent / f"dagster_dev_{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [DAGSTER, "dev", "-f", definitions, "-h", "127.0.0.1", "-p", str(port)],
            cwd=project,
            env={**os.environ, **env, "DAGSTER_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: webserver, daemon, code server and runs die together
        )
    return DevServer(port, home, proc, log_path)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # children that outlived their parent
    proc.wait(timeout=30)
