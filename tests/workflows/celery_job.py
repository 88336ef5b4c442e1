"""A workflow job for the Celery executor test (tests/workflows/test_celery_executor.py), run by the
subprocess runtime in whatever process runs the step: writes <out>/<name>.json with the Celery worker it ran
under (FLOE_TEST_WORKER, set only in the workers' environment; inherited through the step's process), its
pid and its parent's. With `--meet OTHER` it first waits for OTHER's marker (and leaves its own): two such
jobs both finish only if they run at the same time, i.e. in two workers (each runs one task at a time).

    python celery_job.py <out> <name> [--meet OTHER]
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

MEET_LIMIT_SECONDS = 300  # a sibling that never comes: fail, never hang the test


def main(argv: list[str]) -> int:
    out, name = Path(argv[0]), argv[1]
    if len(argv) > 2 and argv[2] == "--meet":
        other = argv[3]
        (out / f"{name}.here").touch()
        deadline = time.monotonic() + MEET_LIMIT_SECONDS
        while not (out / f"{other}.here").exists():
            if time.monotonic() > deadline:
                print(f"{name}: {other} never ran alongside", file=sys.stderr)
                return 1
            time.sleep(0.1)
    record = {
        "job": name,
        "worker": os.environ.get("FLOE_TEST_WORKER"),
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "host": socket.gethostname(),
    }
    (out / f"{name}.json").write_text(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
