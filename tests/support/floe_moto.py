"""moto in server mode on loopback: the AWS stand-in (S3, Glue, Step Functions, EventBridge, SQS) for tests.

`moto_server()` starts `moto_server` (from the dev dependencies) on a free port and yields its URL; use it
with `aws_env(url)` (AWS_ENDPOINT_URL and dummy credentials), which boto3 honours for every client."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from floe_ports import free_port


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    binary = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # a bounded wait for the server to answer (not a timing assertion)
            if proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {proc.returncode}")
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("moto_server did not answer")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def aws_env(url: str) -> dict[str, str]:
    """What a process needs to talk to the moto server through the standard AWS chain."""
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
