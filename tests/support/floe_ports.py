"""A free loopback TCP port for a server a test starts.

Why not `bind(("127.0.0.1", 0))`: the kernel hands out that port from the ephemeral range, the same range every
outgoing connection (GraphQL polls, PostgreSQL, HTTP clients of the other xdist workers) takes its local port
from. Between closing the probe socket and the server's own bind, such a connection can take the port; the
server then fails with "address already in use" (`dagster dev` even keeps running without its webserver). Ports
below the ephemeral range are never given to connections, so only another test picking the same random port
can collide; servers that can report a failed bind retry on another port (dev_server.dagster_dev)."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 20000


def _ephemeral_start() -> int:
    try:
        return int(_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A port below the kernel's ephemeral range that nothing listens on or is bound to right now."""
    top = _ephemeral_start()
    if top - _LOWEST < 1000:  # an unusual range: fall back to the kernel's choice
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    for _ in range(200):
        port = random.randrange(_LOWEST, top)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in [{_LOWEST}, {top}) after 200 tries")
