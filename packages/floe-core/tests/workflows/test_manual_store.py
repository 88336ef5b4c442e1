from __future__ import annotations

from pathlib import Path

import pytest
from floe_core.errors import FloeError
from floe_core.workflows import WorkflowValidationError, load_workflow_text
from floe_core.workflows.loading import LoadedWorkflow
from floe_core.workflows.manual_store import (
    delete_manual_workflow,
    load_manual_workflows,
    merge_manual,
    save_manual_workflow,
    store_dir,
)


def text(name: str) -> str:
    return (
        f'workflow:\n  name: {name}\n  schedule: {{cron: "0 2 * * *", start_date: "2024-01-01"}}\n'
        "  jobs: [{job: {name: a, image: lakehouse/a:1}}]\n"
    )


def test_saved_workflows_load_back_validated_and_sorted(tmp_path: Path) -> None:
    save_manual_workflow(tmp_path, "zeta", text("zeta"))
    path = save_manual_workflow(tmp_path, "alpha", text("alpha"))
    assert path == tmp_path / "alpha.yaml" and path.read_text() == text("alpha")
    loaded = load_manual_workflows(tmp_path)
    assert [(w.name, w.origin) for w in loaded] == [("alpha", "manual"), ("zeta", "manual")]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    assert delete_manual_workflow(tmp_path, "zeta") and not delete_manual_workflow(tmp_path, "zeta")
    assert [w.name for w in load_manual_workflows(tmp_path)] == ["alpha"]
    assert load_manual_workflows(tmp_path / "missing") == []


def test_invalid_files_fail_like_validate_and_names_must_match(tmp_path: Path) -> None:
    save_manual_workflow(tmp_path, "bad", text("bad").replace("0 2 * * *", "0 2 * *"))
    with pytest.raises(WorkflowValidationError, match=r"bad\.yaml:3: workflow\.schedule\.cron"):
        load_manual_workflows(tmp_path)
    (tmp_path / "bad.yaml").write_text(text("other"))
    with pytest.raises(FloeError, match="expected 'bad'"):
        load_manual_workflows(tmp_path)
    with pytest.raises(FloeError, match="letters, digits"):
        save_manual_workflow(tmp_path, "../escape", text("x"))


def test_code_wins_on_a_name_clash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = LoadedWorkflow(spec=load_workflow_text(text("same")), origin="folder", sources=[])
    manual = [
        LoadedWorkflow(spec=load_workflow_text(text(n)), origin="manual", sources=[]) for n in ("same", "m")
    ]
    assert [(w.name, w.origin) for w in merge_manual([code], manual)] == [("m", "manual"), ("same", "folder")]
    monkeypatch.delenv("FLOE_WORKFLOW_STORE", raising=False)
    assert store_dir(tmp_path) == tmp_path / ".floe" / "workflows"
    monkeypatch.setenv("FLOE_WORKFLOW_STORE", str(tmp_path / "s"))
    assert store_dir("/elsewhere") == tmp_path / "s"
