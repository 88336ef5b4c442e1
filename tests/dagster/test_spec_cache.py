"""The dbt spec cache (floe_dagster.dbt.spec_cache): later loads read the specs instead of rebuilding them and
never parse the manifest; anything stale, foreign or unwritable falls back to building, never to wrong specs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dagster import AssetSpec
from floe_dagster.dbt import spec_cache
from floe_dagster.dbt.load import floe_translator, project_specs
from floe_dagster.dbt.specs import build_project_specs
from floe_dagster.dbt.translator import FloeDbtTranslator
from floe_dagster.project import load_artifacts
from floe_projects import compile_project

pytestmark = pytest.mark.slow

# A fresh process, as every Dagster process that loads the code location is: specs and how they were had.
LOAD = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.filterwarnings("ignore")
    from dagster_internals import RepositorySnap
    from floe_dagster import FloeDefinitions
    from floe_dbt import manifest
    defs = FloeDefinitions.from_compiled_artifacts(sys.argv[1])
    repo = defs.get_repository_def()
    RepositorySnap.from_def(repo)  # what the webserver and `dagster definitions validate` build
    graph = defs.resolve_asset_graph()
    dbt = sorted(k.to_user_string() for k in graph.get_all_asset_keys()
                 if "dagster_dbt/unique_id" in graph.get(k).metadata)
    print(json.dumps({
        "manifests_parsed": len(manifest._loaded),
        "dbt_assets": dbt,
        "descriptions": {k: graph.get(next(x for x in graph.get_all_asset_keys() if x.to_user_string() == k)).description for k in dbt},
        "checks": sorted(str(c) for c in graph.asset_check_keys),
    }))
    """
)

RUN = textwrap.dedent(
    """
    import sys, warnings
    warnings.filterwarnings("ignore")
    from dagster import AssetKey, DagsterInstance
    from floe_dagster import FloeDefinitions
    from floe_dbt import manifest
    defs = FloeDefinitions.from_compiled_artifacts(sys.argv[1])
    assert not manifest._loaded, "loading parsed the manifest"
    keys = [AssetKey(k) for k in ("raw_customers", "raw_payments", "stg_customers", "customer_payments")]
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=keys)
    checks = [c.passed for c in result.get_asset_check_evaluations()]
    print(result.success, len(manifest._loaded), len(checks), all(checks))
    """
)


def _python(tmp_path: Path, code: str, *args: str) -> str:
    script = tmp_path / "probe.py"
    script.write_text(code, encoding="utf-8")
    support = str(Path(__file__).resolve().parents[1] / "support")  # dagster_internals
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [support, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _manifest_path(artifacts_path: Path) -> Path:
    return artifacts_path.parent / "dbt" / "manifest.json"


def test_later_loads_read_the_cache_and_never_parse_the_manifest(
    compiled: Callable[[str], Path], tmp_path: Path
) -> None:
    artifacts = compiled("shop")
    cache = spec_cache.cache_path(_manifest_path(artifacts))
    assert cache.is_file()  # written by `floe compile`
    after_compile = json.loads(_python(tmp_path, LOAD, str(artifacts)))
    assert after_compile["manifests_parsed"] == 0  # even the first load after compile
    cache.unlink()  # e.g. a project compiled by an older floe: the first load builds and writes it

    first = json.loads(_python(tmp_path, LOAD, str(artifacts)))
    assert cache.is_file()
    assert first["manifests_parsed"] == 1
    assert first == {**after_compile, "manifests_parsed": 1}

    second = json.loads(_python(tmp_path, LOAD, str(artifacts)))
    assert second["manifests_parsed"] == 0  # not even for the webserver's snapshot
    assert second == {**first, "manifests_parsed": 0}  # the same assets, descriptions and checks
    assert {"stg_customers", "customer_payments", "raw_payments"} <= set(second["dbt_assets"])
    assert second["checks"]


def test_a_run_after_a_cache_hit_gives_dbt_the_manifest_when_it_runs(
    compiled: Callable[[str], Path], tmp_path: Path
) -> None:
    artifacts = compiled("shop")
    _python(tmp_path, LOAD, str(artifacts))  # writes the cache
    success, parsed, checks, passed = _python(tmp_path, RUN, str(artifacts)).split()
    assert (success, parsed, passed) == ("True", "1", "True")  # parsed once, when dbt ran
    assert int(checks) > 0
    db = artifacts.parent / "shop.duckdb"
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("select count(*) from main.stg_customers").fetchone()[0] > 0  # type: ignore[index]


def test_a_recompiled_manifest_is_not_served_from_the_old_cache(compiled: Callable[[str], Path]) -> None:
    artifacts_path = compiled("shop")
    before = project_specs(load_artifacts(artifacts_path))
    assert before is not None
    schema = artifacts_path.parent.parent / "dbt" / "models" / "schema.yml"
    doc = yaml.safe_load(schema.read_text())
    model = next(m for m in doc["models"] if m["name"] == "stg_customers")
    model["description"] = "Customers, renamed after the cache was written"
    schema.write_text(yaml.safe_dump(doc), encoding="utf-8")
    compile_project(artifacts_path.parent.parent)

    after = project_specs(load_artifacts(artifacts_path))
    assert after is not None
    assert "renamed after the cache" in (_spec(after.specs, "stg_customers").description or "")
    reread = spec_cache.read(_manifest_path(artifacts_path), floe_translator(load_artifacts(artifacts_path)))
    assert reread is not None and "renamed after the cache" in (
        _spec(reread.specs, "stg_customers").description or ""
    )


def test_other_translator_inputs_do_not_reuse_the_cache(shared: Callable[[str], Path]) -> None:
    artifacts = load_artifacts(shared("shop"))
    project_specs(artifacts)
    manifest = _manifest_path(shared("shop"))
    assert spec_cache.read(manifest, floe_translator(artifacts)) is not None
    reclassified = FloeDbtTranslator(classifications={"stg_customers": {"name": "pii"}})
    assert spec_cache.read(manifest, reclassified) is None  # governance changed: specs must be rebuilt


def test_a_touched_manifest_with_the_same_bytes_still_uses_the_cache(compiled: Callable[[str], Path]) -> None:
    artifacts = load_artifacts(compiled("shop"))
    manifest = artifacts.resolve(artifacts.dbt.manifest_path)  # type: ignore[union-attr]
    project_specs(artifacts)
    stat = manifest.stat()
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))  # e.g. copied into an image
    assert spec_cache.read(manifest, floe_translator(artifacts)) is not None
    manifest.write_bytes(manifest.read_bytes().replace(b'"stg_customers"', b'"stg_customerz"', 1))
    assert spec_cache.read(manifest, floe_translator(artifacts)) is None  # same size, other bytes


def test_a_corrupt_cache_file_is_ignored_and_rewritten(compiled: Callable[[str], Path]) -> None:
    artifacts = load_artifacts(compiled("shop"))
    manifest = artifacts.resolve(artifacts.dbt.manifest_path)  # type: ignore[union-attr]
    translator = floe_translator(artifacts)
    cache = spec_cache.cache_path(manifest)
    cache.write_bytes(b"\x80\x05not a pickle at all")
    assert spec_cache.read(manifest, translator) is None
    built = spec_cache.build_and_cache(manifest, translator, build_project_specs)
    again = spec_cache.read(manifest, translator)
    assert again is not None and [s.key for s in again.specs] == [s.key for s in built.specs]


class _Planted:
    """Unpickling this runs a command: what a planted cache file would do to every process loading it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("forged", ["plain pickle", "our header, another key"])
def test_a_planted_cache_file_runs_no_code_and_is_rebuilt_with_a_warning(
    compiled: Callable[[str], Path],
    tmp_path: Path,
    forged: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pickle

    from floe_dagster.dbt import cache_key

    artifacts = load_artifacts(compiled("shop"))
    manifest = artifacts.resolve(artifacts.dbt.manifest_path)  # type: ignore[union-attr]
    translator = floe_translator(artifacts)
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Planted(marker))
    if forged == "plain pickle":
        planted = payload
    else:
        signature = cache_key.sign(payload, b"an attacker's key, not this machine's")
        planted = spec_cache.MAGIC + signature + payload
    spec_cache.cache_path(manifest).write_bytes(planted)

    with caplog.at_level("WARNING", logger="floe.spec_cache"):
        assert spec_cache.read(manifest, translator) is None
    assert not marker.exists()  # nothing was unpickled
    assert "not signed with this machine's key" in caplog.text
    built = spec_cache.build_and_cache(manifest, translator, build_project_specs)
    assert spec_cache.read(manifest, translator) is not None and built.specs

    # the same file is refused by a process holding another key (FLOE_SPEC_CACHE_KEY set for an image)
    monkeypatch.setenv(cache_key.KEY_ENV, "k" * 40)
    assert spec_cache.read(manifest, translator) is None


def test_an_unwritable_cache_location_only_costs_the_rebuild(
    compiled: Callable[[str], Path], tmp_path: Path
) -> None:
    artifacts = compiled("shop")
    cache = spec_cache.cache_path(_manifest_path(artifacts))
    cache.unlink()  # written by `floe compile`
    cache.mkdir()  # a folder where the file would go
    loaded = json.loads(_python(tmp_path, LOAD, str(artifacts)))
    assert "stg_customers" in loaded["dbt_assets"] and loaded["manifests_parsed"] == 1


@pytest.mark.parametrize(
    "odd_value",
    [
        pytest.param(lambda: "not picklable", id="unpicklable"),
        # pickles fine, but is a different, unequal object when loaded: caught by the read-back check
        pytest.param(object(), id="comes-back-different"),
    ],
)
def test_specs_that_do_not_survive_the_round_trip_are_not_cached(
    compiled: Callable[[str], Path], odd_value: object
) -> None:
    artifacts = load_artifacts(compiled("shop"))
    manifest = artifacts.resolve(artifacts.dbt.manifest_path)  # type: ignore[union-attr]
    translator = floe_translator(artifacts)
    project = build_project_specs(manifest, translator)
    spec_cache.cache_path(manifest).unlink()  # written by `floe compile`
    odd = project.specs[0].merge_attributes(metadata={"odd": odd_value})
    broken = type(project)(
        project_name=project.project_name,
        sources=project.sources,
        nodes=project.nodes,
        specs=(odd, *project.specs[1:]),
        check_specs=project.check_specs,
    )
    assert spec_cache.write(manifest, translator, broken) is False
    assert not spec_cache.cache_path(manifest).exists()
    assert spec_cache.write(manifest, translator, project) is True  # the same specs without it: cached
    assert spec_cache.cache_path(manifest).exists()


def _spec(specs: Any, key: str) -> AssetSpec:
    return next(s for s in specs if s.key.to_user_string() == key)
