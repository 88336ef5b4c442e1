"""Loopback endpoints for the benchmarks: a recording HTTP receiver, a tarpit and a closed port."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class PostReceiver:
    """A loopback HTTP server answering 200 to every POST; `record` sees each body as it arrives."""

    def __init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.record(self.path, body, time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def record(self, path: str, body: bytes, arrived: float) -> None:
        """Called on the server's thread for each POST, `arrived` the wall time it was read."""

    def close(self) -> None:
        self._server.shutdown()


class RecordingReceiver(PostReceiver):
    """Accepts OpenLineage (/api/v1/lineage) and OTLP/HTTP (/v1/traces) posts; records lineage latency."""

    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.lineage_events = 0
        self.trace_posts = 0
        super().__init__()

    def record(self, path: str, body: bytes, arrived: float) -> None:
        if not path.startswith("/api/v1/lineage"):
            self.trace_posts += 1
            return
        self.lineage_events += 1
        try:
            sent = datetime.fromisoformat(json.loads(body)["eventTime"].replace("Z", "+00:00")).timestamp()
        except (ValueError, KeyError, TypeError):
            return
        self.latencies_ms.append((arrived - sent) * 1000)


class Tarpit:
    """Accepts connections and never answers (nor reads)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(1024)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._held: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)

    def close(self) -> None:
        self._stop = True
        self._sock.close()
        for c in self._held:
            c.close()


def closed_port_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"
