"""Load a generated profiles.yml the way dbt does: dbt's profile renderer (env_var, as_number, fromjson)
and then the adapter's own Credentials class (its JSON schema and its __post_init__ checks)."""

from __future__ import annotations

import ctypes.util
from argparse import Namespace
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dbt.adapters.factory import load_plugin
from dbt.config.profile import Profile, read_profile
from dbt.config.renderer import ProfileRenderer
from dbt.flags import set_from_args
from dbt_common.context import set_invocation_context
from floe_core.spec import FloeSpec
from floe_testkit import require


@dataclass(frozen=True)
class Loaded:
    """What dbt made of one output: the rendered, adapter-validated fields and, where possible, the
    adapter's Credentials object built from them."""

    adapter_type: str
    fields: Mapping[str, Any]  # dbt-rendered, alias-translated, schema-validated
    credentials: Any | None
    threads: int

    def get(self, name: str) -> Any:
        return getattr(self.credentials, name) if self.credentials is not None else self.fields.get(name)


def load_with_dbt(profiles_dir: Path, profile: str, target: str, env: Mapping[str, str]) -> Loaded:
    set_invocation_context(dict(env))
    set_from_args(Namespace(LOG_CACHE_EVENTS=False), None)
    raw = read_profile(str(profiles_dir))
    renderer = ProfileRenderer({})
    target_name, rendered = Profile.render_profile(raw[profile], profile, target, renderer)
    assert target_name == target
    adapter_type = rendered["type"]
    data = {k: v for k, v in rendered.items() if k not in ("type", "threads")}
    cls = load_plugin(adapter_type)
    fields = cls.translate_aliases(data)
    cls.validate(fields)  # the adapter's JSON schema
    if adapter_type == "spark" and fields.get("method") == "odbc":
        require(ctypes.util.find_library("odbc") is not None, "unixODBC (apt-get install unixodbc)")
    if adapter_type == "databricks" and fields.get("auth_type") == "oauth":
        # dbt-databricks exchanges the client secret for a token over the network while it builds the
        # credentials object; the adapter's schema validation above is as far as dbt goes offline.
        return Loaded(adapter_type, fields, None, int(rendered["threads"]))
    return _full(raw, profile, target, renderer)


def _full(raw: dict[str, Any], profile: str, target: str, renderer: ProfileRenderer) -> Loaded:
    loaded = Profile.from_raw_profiles(raw, profile, renderer, target_override=target)
    creds = loaded.credentials
    return Loaded(creds.type, creds.to_dict(), creds, loaded.threads)


# --- shared fixtures ---------------------------------------------------------------------------------


def make_spec(targets: dict[str, Any], default: str | None = None, **extra: Any) -> FloeSpec:
    """A FloeSpec around the given compute targets (first one the default)."""
    return FloeSpec.model_validate(
        {
            "name": "t",
            "version": "1",
            "compute": {"default": default or next(iter(targets)), "targets": targets},
            **extra,
        }
    )


@pytest.fixture
def spec_factory() -> Any:
    return make_spec


@pytest.fixture
def dbt_load() -> Any:
    return load_with_dbt


def write_dbt_project(root: Path, profile: str = "shop") -> Path:
    """A tiny dbt project: `orders` (3 rows) and `order_count` built on it."""
    project = root / "dbt"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        f"name: shop\nversion: '1.0'\nconfig-version: 2\nprofile: {profile}\nmodel-paths: [models]\n"
    )
    (project / "models" / "orders.sql").write_text(
        "{{ config(materialized='table') }}\n"
        "select 1 as id, 'apple' as item union all select 2, 'pear' union all select 3, 'fig'\n"
    )
    (project / "models" / "order_count.sql").write_text(
        "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('orders') }}\n"
    )
    return project


def write_floe_yaml(root: Path, compute_yaml: str, transform_extra: str = "") -> Path:
    path = root / "floe.yaml"
    path.write_text(
        "name: shop\nversion: '1.0'\n"
        + compute_yaml
        + "transforms:\n  - type: dbt\n    path: dbt\n"
        + transform_extra
    )
    return path


@pytest.fixture
def project_files() -> Any:
    """(write_dbt_project, write_floe_yaml) for tests that compile a real project."""
    return write_dbt_project, write_floe_yaml
