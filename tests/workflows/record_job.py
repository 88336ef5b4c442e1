"""A container job's stand-in for the subprocess runtime: records what it was given, then behaves as asked.

argv: <out dir> <job name> [behaviour...]; behaviours:
  fail-until:<n>   exit 3 on attempts before the n-th (attempts counted in <out>/<job>.attempts)
  fail             exit 3 always
  meet:<other>     rendezvous: write <job>.here, wait (up to 120 s) for <other>.here — only branches that run
                   at the same time both get past it
"""

import json
import os
import sys
import time
from pathlib import Path

out, job, *behaviours = sys.argv[1:]
folder = Path(out)
folder.mkdir(parents=True, exist_ok=True)
attempts_file = folder / f"{job}.attempts"
attempt = int(attempts_file.read_text()) + 1 if attempts_file.exists() else 1
attempts_file.write_text(str(attempt))
record = {
    "job": job,
    "argv": sys.argv[1:],
    "env": {
        k: v for k, v in os.environ.items() if k.isupper() and not k.startswith(("DAGSTER", "PATH", "HOME"))
    },
    "attempt": attempt,
}
for behaviour in behaviours:
    kind, _, arg = behaviour.partition(":")
    if kind == "meet":
        (folder / f"{job}.here").write_text("1")
        deadline = time.monotonic() + 120
        while not (folder / f"{arg}.here").exists():
            if time.monotonic() > deadline:
                print(f"{job}: {arg} never ran alongside", file=sys.stderr)
                sys.exit(4)
            time.sleep(0.05)
    if kind == "fail-until" and attempt < int(arg):
        print(f"{job}: failing attempt {attempt}", file=sys.stderr)
        sys.exit(3)
    if kind == "fail":
        sys.exit(3)
with (folder / "ran.jsonl").open("a") as ran:
    ran.write(json.dumps(record) + "\n")
print(f"{job} done")
