"""The folder store of MANUAL workflows (registered through the workflow API, floe-api): `<store>/<name>.yaml`.

The API writes each registered workflow's YAML here atomically (`save_manual_workflow`) and deletes it on
unregister; the Dagster code location reads the folder at load (`load_manual_workflows`) and builds their jobs
like CODE workflows' — CODE wins on a name clash (`merge_manual`). The folder is
`$FLOE_WORKFLOW_STORE`, by default `<project>/.floe/workflows`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from floe_core.errors import FloeError
from floe_core.fs import atomic_write_text
from floe_core.workflows.config import RuntimeConfig
from floe_core.workflows.layout import SourceFile
from floe_core.workflows.loading import LoadedWorkflow, load_workflow_text, text_sha256

STORE_ENV = "FLOE_WORKFLOW_STORE"
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def store_dir(project_root: str | Path) -> Path:
    """The store folder of a project: $FLOE_WORKFLOW_STORE, else `<project>/.floe/workflows`."""
    configured = os.environ.get(STORE_ENV)
    return Path(configured) if configured else Path(project_root) / ".floe" / "workflows"


def manual_path(store: str | Path, name: str) -> Path:
    if not _NAME.match(name):
        raise FloeError(f"workflow name {name!r}: expected letters, digits and underscores only")
    return Path(store) / f"{name}.yaml"


def save_manual_workflow(store: str | Path, name: str, text: str) -> Path:
    """Write a workflow's YAML atomically (a reader sees the old file or the new one, never a part)."""
    path = manual_path(store, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return path


def delete_manual_workflow(store: str | Path, name: str) -> bool:
    path = manual_path(store, name)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def load_manual_workflows(
    store_dir: str | Path, runtime: RuntimeConfig | None = None
) -> list[LoadedWorkflow]:
    """Every workflow of the store, validated (as `floe validate` would), sorted by name; a missing folder is
    an empty store. A file whose workflow name differs from its file name is an error."""
    folder = Path(store_dir)
    if not folder.is_dir():
        return []
    out: list[LoadedWorkflow] = []
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        spec = load_workflow_text(text, str(path), runtime=runtime)
        if spec.name != path.stem:
            raise FloeError(f"{path}: workflow.name is {spec.name!r}, expected {path.stem!r} (its file name)")
        out.append(
            LoadedWorkflow(
                spec=spec, origin="manual", sources=[SourceFile(path=path.name, sha256=text_sha256(text))]
            )
        )
    return out


def merge_manual(code: list[LoadedWorkflow], manual: list[LoadedWorkflow]) -> list[LoadedWorkflow]:
    """CODE and MANUAL workflows together, sorted by name; CODE wins when both have a name."""
    names = {w.name for w in code}
    return sorted([*code, *(w for w in manual if w.name not in names)], key=lambda w: w.name)
