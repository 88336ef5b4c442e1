"""The folder store of MANUAL workflows (registered through the workflow API, floe-api): `<store>/<name>.yaml`.

The API writes each registered workflow's YAML here atomically (`save_manual_workflow`) and deletes it on
unregister; the Dagster code location reads the folder at load (`load_manual_workflows`) and builds their jobs
like CODE workflows' — CODE wins on a name clash (`merge_manual`). The store is `$FLOE_WORKFLOW_STORE`, by
default `<project>/.floe/workflows`: a folder, or S3-compatible object storage by URL
(`s3://bucket/prefix`, through boto3 — install `boto3`; credentials, region and `AWS_ENDPOINT_URL` from the
standard AWS chain), so that an API and code locations on different machines share it. An object is written
in one PUT: a reader sees the old YAML or the new one, never a part.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from floe_core.errors import FloeError
from floe_core.fs import atomic_write_text
from floe_core.workflows.config import RuntimeConfig
from floe_core.workflows.layout import SourceFile
from floe_core.workflows.loading import LoadedWorkflow, load_workflow_text, text_sha256

STORE_ENV = "FLOE_WORKFLOW_STORE"
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


Store = str | Path  # a folder, or an `s3://bucket/prefix` URL


def store_dir(project_root: str | Path) -> Store:
    """The store of a project: $FLOE_WORKFLOW_STORE (a folder or an s3:// URL), else
    `<project>/.floe/workflows`."""
    configured = os.environ.get(STORE_ENV)
    if configured and is_object_store(configured):
        return configured.rstrip("/")
    return Path(configured) if configured else Path(project_root) / ".floe" / "workflows"


def is_object_store(store: Store) -> bool:
    return str(store).startswith("s3://")


def manual_path(store: Store, name: str) -> Store:
    """Where the workflow `name` lives in the store: a file path, or an object URL."""
    if not _NAME.match(name):
        raise FloeError(f"workflow name {name!r}: expected letters, digits and underscores only")
    if is_object_store(store):
        return f"{str(store).rstrip('/')}/{name}.yaml"
    return Path(store) / f"{name}.yaml"


def save_manual_workflow(store: Store, name: str, text: str) -> Store:
    """Write a workflow's YAML atomically (a reader sees the old file or the new one, never a part)."""
    path = manual_path(store, name)
    if isinstance(path, str):
        bucket, key = _bucket_key(path)
        _s3().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/yaml")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return path


def delete_manual_workflow(store: Store, name: str) -> bool:
    """Remove a workflow's YAML; False when it was not there."""
    path = manual_path(store, name)
    if isinstance(path, str):
        bucket, key = _bucket_key(path)
        client = _s3()
        if not _object_exists(client, bucket, key):
            return False
        client.delete_object(Bucket=bucket, Key=key)
        return True
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def load_manual_workflows(store: Store, runtime: RuntimeConfig | None = None) -> list[LoadedWorkflow]:
    """Every workflow of the store, validated (as `floe validate` would), sorted by name; a missing folder
    (or prefix) is an empty store. A file whose workflow name differs from its file name is an error."""
    out: list[LoadedWorkflow] = []
    for where, stem, text in sorted(_documents(store)):
        spec = load_workflow_text(text, where, runtime=runtime)
        if spec.name != stem:
            raise FloeError(f"{where}: workflow.name is {spec.name!r}, expected {stem!r} (its file name)")
        out.append(
            LoadedWorkflow(
                spec=spec,
                origin="manual",
                sources=[SourceFile(path=f"{stem}.yaml", sha256=text_sha256(text))],
            )
        )
    return out


def _documents(store: Store) -> list[tuple[str, str, str]]:
    """(where, name, YAML) of every `<name>.yaml` directly in the store."""
    if not is_object_store(store):
        folder = Path(store)
        if not folder.is_dir():
            return []
        return [(str(p), p.stem, p.read_text(encoding="utf-8")) for p in folder.glob("*.yaml")]
    bucket, prefix = _bucket_key(str(store).rstrip("/") + "/")
    client = _s3()
    found: list[tuple[str, str, str]] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for item in page.get("Contents", []):
            key = str(item["Key"])
            stem = key[len(prefix) :].removesuffix(".yaml")
            if key.endswith(".yaml") and _NAME.match(stem):
                body = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
                found.append((f"s3://{bucket}/{key}", stem, body))
    return found


def _bucket_key(url: str) -> tuple[str, str]:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise FloeError(f"{STORE_ENV}: {url!r} names no bucket (expected s3://bucket/prefix)")
    return bucket, key


def _s3() -> Any:
    try:
        import boto3
    except ImportError:
        raise FloeError(
            f"{STORE_ENV} is an s3:// URL, which needs boto3: install it (pip install boto3)"
        ) from None
    return boto3.client("s3")


def _object_exists(client: Any, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def merge_manual(code: list[LoadedWorkflow], manual: list[LoadedWorkflow]) -> list[LoadedWorkflow]:
    """CODE and MANUAL workflows together, sorted by name; CODE wins when both have a name."""
    names = {w.name for w in code}
    return sorted([*code, *(w for w in manual if w.name not in names)], key=lambda w: w.name)
