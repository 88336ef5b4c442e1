"""The spec cache's signing key (floe_dagster.dbt.cache_key): outside the project, private, stable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from floe_core.errors import FloeError
from floe_dagster.dbt import cache_key


def test_the_key_file_is_created_once_private_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cache_key.KEY_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    first = cache_key.signing_key()
    path = tmp_path / "config" / "floe" / "spec-cache.key"
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cache_key.signing_key() == first and len(first) == 32


def test_the_environment_key_wins_and_must_be_long(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv(cache_key.KEY_ENV, "x" * 32)
    assert cache_key.signing_key() == b"x" * 32
    assert not (tmp_path / "floe").exists()
    monkeypatch.setenv(cache_key.KEY_ENV, "short")
    with pytest.raises(FloeError, match="at least 32 characters \\(got 5\\)"):
        cache_key.signing_key()


def test_a_signature_only_matches_its_key_and_payload() -> None:
    signature = cache_key.sign(b"payload", b"k1")
    assert cache_key.authentic(signature, b"payload", b"k1")
    assert not cache_key.authentic(signature, b"payload", b"k2")
    assert not cache_key.authentic(signature, b"payload!", b"k1")
