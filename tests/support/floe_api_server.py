"""The workflow API served by uvicorn on a free loopback port, in a thread, for end-to-end tests.

The socket is bound here and handed to uvicorn, so no other process can take the port in between."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from floe_api.app import create_app
from floe_api.settings import Settings


@contextmanager
def served_api(settings: Settings) -> Iterator[tuple[str, Any]]:
    """(the API's base URL, the app) while it serves."""
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a bounded wait for the server to start (not a timing assertion)
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the workflow API did not start")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
