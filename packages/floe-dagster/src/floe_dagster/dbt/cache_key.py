"""The key that signs the dbt spec cache (floe_dagster.dbt.spec_cache), kept away from the file it signs.

The cache is a pickle, and unpickling runs code: a file planted in the project's `.floe/` folder must not run
in the webserver, the daemon and every run worker. So the file carries an HMAC-SHA256 of its bytes, checked
before anything is unpickled, with a key that is not stored in the project:

- `FLOE_SPEC_CACHE_KEY` (any string of 32+ characters) when set — for images and clusters, where the process
  that runs `floe compile` and the processes that load the code location must share it; else
- a random per-user key in `$XDG_CONFIG_HOME/floe/spec-cache.key` (default `~/.config/floe/`), created on
  first use with mode 0600.

A file signed with another key (another user, another machine) is treated like a stale one: the specs are
rebuilt, which costs time, never correctness.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from floe_core.errors import FloeError

KEY_ENV = "FLOE_SPEC_CACHE_KEY"
_MIN_KEY_CHARS = 32
DIGEST_SIZE = hashlib.sha256().digest_size


def key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "floe" / "spec-cache.key"


def signing_key() -> bytes:
    """The key, from the environment or the per-user key file (created when missing)."""
    configured = os.environ.get(KEY_ENV)
    if configured is not None:
        if len(configured) < _MIN_KEY_CHARS:
            raise FloeError(f"{KEY_ENV} must be at least {_MIN_KEY_CHARS} characters (got {len(configured)})")
        return configured.encode("utf-8")
    path = key_file()
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fresh = secrets.token_hex(32)
    # O_EXCL: two processes creating it at once agree on the first one's key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(fresh)
    return bytes.fromhex(fresh)


def sign(payload: bytes, key: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()


def authentic(signature: bytes, payload: bytes, key: bytes) -> bool:
    return hmac.compare_digest(signature, sign(payload, key))
