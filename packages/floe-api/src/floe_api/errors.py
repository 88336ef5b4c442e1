"""The API's error codes (seed 001 §8; AIRFLOW_CONNECTION_FAILED becomes ORCHESTRATOR_UNAVAILABLE)."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems or []


def not_found(name: str) -> ApiError:
    return ApiError(404, "WORKFLOW_NOT_FOUND", f"workflow '{name}' is not registered")


def run_not_found(run_id: str) -> ApiError:
    return ApiError(404, "WORKFLOW_RUN_NOT_FOUND", f"run '{run_id}' not found")


def already_exists(name: str, why: str = "") -> ApiError:
    return ApiError(409, "WORKFLOW_ALREADY_EXISTS", f"workflow '{name}' already exists{why}")


def code_workflow(name: str, action: str) -> ApiError:
    return ApiError(
        403,
        "WORKFLOW_PERMISSION_DENIED",
        f"workflow '{name}' is a CODE workflow (from Git): only pause and unpause are allowed, not {action}",
    )


def forbidden(role: str, action: str) -> ApiError:
    return ApiError(403, "WORKFLOW_PERMISSION_DENIED", f"role '{role}' may not {action}")


def unavailable(detail: str) -> ApiError:
    return ApiError(503, "ORCHESTRATOR_UNAVAILABLE", detail)


def not_pending_approval(run_id: str, state: str) -> ApiError:
    return ApiError(
        409, "WORKFLOW_RUN_NOT_PENDING_APPROVAL", f"run '{run_id}' is not waiting for approval ({state})"
    )


def no_approval_gate() -> ApiError:
    return ApiError(
        409,
        "APPROVAL_GATE_NOT_CONFIGURED",
        "Dagster has no floe_approval_decision job: name a triggers file in floe.yaml (docs/triggers.md)",
    )
