"""`floe_dagster_specs.pickle`: DbtProjectSpecs on disk, next to the manifest they were derived from.

The file holds a magic line, an HMAC of the rest (see floe_dagster.dbt.cache_key: nothing is unpickled
unless the signature matches a key kept outside the project), then a small header, then the specs. It is used only when the header matches: the manifest
(size and mtime, else its sha256), the translator's inputs (`FloeDbtTranslator.fingerprint`), the floe
code that shapes the specs and the installed dagster / dagster-dbt. The two live objects in dbt spec
metadata (dagster-dbt's manifest holder and the translator) are not stored but re-attached on read.

Why pickle: Dagster's specs are immutable tuples whose constructors validate every field; rebuilding
5000 of them field by field (or through Dagster's serdes) took 1.2 s, about half of what it saves.
Restoring the tuples as they were (`tuple.__new__` plus their `__dict__`) takes 0.3 s. Because unpickling
runs code, the file is authenticated before it is read (issue 16.5); an unsigned or tampered file is
rebuilt and logged at warning level.

It is written atomically and checked before it is written: the specs are read back and compared field by
field with the ones dagster-dbt built, so anything that does not survive the round trip exactly means no
cache file (the specs are then built on every load, as without floe), never a different spec. A missing,
stale, corrupt or unwritable file only costs that rebuild.
"""

from __future__ import annotations

import hashlib
import io
import logging
import pickle
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import dagster
import dagster_dbt
from dagster_dbt import DagsterDbtTranslator
from floe_core.errors import FloeError
from floe_core.fs import atomic_write_bytes

from floe_dagster.compat import DbtManifestWrapper, as_dict
from floe_dagster.dbt import cache_key, translator
from floe_dagster.dbt import specs as dbt_specs
from floe_dagster.dbt.specs import DbtProjectSpecs, ManifestOnFirstUse
from floe_dagster.dbt.translator import FloeDbtTranslator
from floe_dagster.project import RUN_COMPILE

BuildSpecs = Callable[[Path, FloeDbtTranslator], DbtProjectSpecs]

CACHE_FILENAME = "floe_dagster_specs.pickle"
FORMAT = 2
MAGIC = b"floe-dagster-specs 2 hmac-sha256\n"
log = logging.getLogger("floe.spec_cache")

_MANIFEST, _TRANSLATOR = "manifest", "translator"


class Uncacheable(Exception):
    """Specs this cache cannot carry exactly."""


def cache_path(manifest_path: Path) -> Path:
    return manifest_path.parent / CACHE_FILENAME


# -- the entry points -------------------------------------------------------------------------------------
_memo: dict[tuple[str, str], tuple[tuple[int, int], DbtProjectSpecs]] = {}


def cached(manifest_path: Path, translator: FloeDbtTranslator) -> DbtProjectSpecs | None:
    """The specs of the manifest at `manifest_path` from this process's memo or the cache file, if either
    belongs to this manifest and translator; None otherwise (then `build_and_cache`)."""
    stat = _stat(manifest_path)
    memo_key = (str(manifest_path.resolve()), translator.fingerprint())
    remembered = _memo.get(memo_key)
    if remembered is not None and remembered[0] == stat:
        return remembered[1]
    specs = read(manifest_path, translator, stat)
    if specs is not None:
        _memo[memo_key] = (stat, specs)
    return specs


def build_and_cache(manifest_path: Path, translator: FloeDbtTranslator, build: BuildSpecs) -> DbtProjectSpecs:
    """Build the specs with `build` (dagster-dbt) and write the cache file for the next load."""
    stat = _stat(manifest_path)
    specs = build(manifest_path, translator)
    write(manifest_path, translator, specs)
    _memo[(str(manifest_path.resolve()), translator.fingerprint())] = (stat, specs)
    return specs


def _stat(manifest_path: Path) -> tuple[int, int]:
    try:
        st = manifest_path.stat()
    except OSError as exc:
        raise FloeError(f"dbt manifest not found at {manifest_path}: {RUN_COMPILE}") from exc
    return (st.st_size, st.st_mtime_ns)


# -- the header --------------------------------------------------------------------------------------------
def _code_digest() -> str:
    """floe's modules that shape the specs: a changed translator must not reuse specs built by the old one."""
    digest = hashlib.sha256()
    for path in (translator.__file__, dbt_specs.__file__, __file__):
        digest.update(Path(path or "").read_bytes())
    return digest.hexdigest()


def _environment(translator: FloeDbtTranslator) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "dagster": dagster.__version__,
        "dagster_dbt": dagster_dbt.__version__,
        "code": _code_digest(),
        "translator": translator.fingerprint(),
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _same_manifest(known: Mapping[str, Any], manifest_path: Path, stat: tuple[int, int]) -> bool:
    if (known["size"], known["mtime_ns"]) == stat:
        return True
    # touched or copied (e.g. into an image): the same bytes are still the same manifest
    return bool(known["size"] == stat[0] and known["sha256"] == _sha256(manifest_path))


# -- read --------------------------------------------------------------------------------------------------
def read(
    manifest_path: Path, translator: FloeDbtTranslator, stat: tuple[int, int] | None = None
) -> DbtProjectSpecs | None:
    """The cached specs if the cache file belongs to this manifest and translator; None otherwise."""
    path = cache_path(manifest_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("ignoring the dbt spec cache %s (%s); building the specs", path, type(exc).__name__)
        return None
    payload = _authenticated_payload(data)
    if payload is None:
        log.warning(
            "ignoring the dbt spec cache %s: not signed with this machine's key (%s or %s); building the specs",
            path,
            cache_key.KEY_ENV,
            cache_key.key_file(),
        )
        return None
    try:
        source = io.BytesIO(payload)
        header = pickle.load(source)
        if header.get("environment") != _environment(translator):
            return None
        if not _same_manifest(header["manifest"], manifest_path, stat or _stat(manifest_path)):
            return None
        live = {_MANIFEST: ManifestOnFirstUse(manifest_path.resolve()), _TRANSLATOR: translator}
        specs = _Unpickler(source, live).load()
    except Exception as exc:  # signed by us, yet unreadable (e.g. a changed class): rebuild
        log.warning("ignoring the dbt spec cache %s: %s; building the specs", path, type(exc).__name__)
        return None
    return specs if isinstance(specs, DbtProjectSpecs) else None


def _authenticated_payload(data: bytes) -> bytes | None:
    """The bytes after the signature when it matches the key; None for anything else (nothing unpickled)."""
    if not data.startswith(MAGIC):
        return None
    signature = data[len(MAGIC) : len(MAGIC) + cache_key.DIGEST_SIZE]
    payload = data[len(MAGIC) + cache_key.DIGEST_SIZE :]
    try:
        key = cache_key.signing_key()
    except (OSError, FloeError):
        return None
    return payload if cache_key.authentic(signature, payload, key) else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, source: io.BufferedIOBase | io.BytesIO, live: Mapping[str, Any]) -> None:
        super().__init__(source)
        self._live = live

    def persistent_load(self, pid: Any) -> Any:
        return self._live[pid]


# -- write -------------------------------------------------------------------------------------------------
def write(manifest_path: Path, translator: FloeDbtTranslator, specs: DbtProjectSpecs) -> bool:
    """Write the cache file next to the manifest (atomically); False when the specs cannot be cached or
    the folder is not writable (the specs are then simply built again on the next load)."""
    path = cache_path(manifest_path)
    try:
        body = _dumps(specs)
        _verify(specs, body, translator)
        size, mtime_ns = _stat(manifest_path)
        header = {
            "environment": _environment(translator),
            "manifest": {"size": size, "mtime_ns": mtime_ns, "sha256": _sha256(manifest_path)},
        }
        payload = pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL) + body
        signature = cache_key.sign(payload, cache_key.signing_key())
        atomic_write_bytes(path, MAGIC + signature + payload)
    except Exception as exc:  # caching never breaks a load: Uncacheable, OSError, anything unforeseen
        log.debug("not caching dbt specs at %s: %s: %s", path, type(exc).__name__, exc)
        return False
    return True


class _Pickler(pickle.Pickler):
    """Stores Dagster's tuple-based records as their fields and `__dict__` (see the module docstring) and
    the live metadata objects as references."""

    def persistent_id(self, obj: Any) -> str | None:
        return _live_name(obj)

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is tuple or not isinstance(obj, tuple) or not hasattr(kind, "_fields"):
            return NotImplemented
        # tuple's own accessors: Dagster's records forbid iterating them
        fields = tuple(tuple.__getitem__(obj, i) for i in range(tuple.__len__(obj)))
        state = getattr(obj, "__dict__", None) or None
        return (_restore, (kind, fields), state)


def _restore(kind: type[Any], fields: tuple[Any, ...]) -> Any:
    return tuple.__new__(kind, fields)


def _dumps(specs: DbtProjectSpecs) -> bytes:
    out = io.BytesIO()
    try:
        _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(specs)
    except Exception as exc:  # pickle raises PicklingError, TypeError or AttributeError for such values
        raise Uncacheable(f"{type(exc).__name__}: {exc}") from exc
    return out.getvalue()


def _verify(specs: DbtProjectSpecs, body: bytes, translator: FloeDbtTranslator) -> None:
    """The specs read back equal what dagster-dbt built, field by field (live metadata objects aside)."""
    live = {_MANIFEST: ManifestOnFirstUse(Path("/")), _TRANSLATOR: translator}
    again = _Unpickler(io.BytesIO(body), live).load()
    if (again.project_name, again.sources, dict(again.nodes)) != (
        specs.project_name,
        specs.sources,
        dict(specs.nodes),
    ):
        raise Uncacheable("node facts do not survive the round trip")
    for built, restored in zip(specs.specs, again.specs, strict=True):
        _same_fields(str(built.key), built, restored, built.metadata, restored.metadata)
    for check, check_again in zip(specs.check_specs, again.check_specs, strict=True):
        _same_fields(str(check.key), check, check_again, check.metadata, check_again.metadata)


def _same_fields(
    label: str, built: Any, restored: Any, metadata: Mapping[str, Any], restored_metadata: Mapping[str, Any]
) -> None:
    want, got = dict(as_dict(built)), dict(as_dict(restored))
    want["metadata"], got["metadata"] = _comparable(metadata), _comparable(restored_metadata)
    if want != got:
        fields = sorted(k for k in want if want[k] != got.get(k))
        raise Uncacheable(f"{label}: {fields} do not survive the round trip")


def _comparable(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _live_name(v) or v for k, v in metadata.items()}


def _live_name(value: Any) -> str | None:
    if isinstance(value, DbtManifestWrapper):
        return _MANIFEST
    if isinstance(value, DagsterDbtTranslator):
        return _TRANSLATOR
    return None
