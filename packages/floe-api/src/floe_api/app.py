"""The FastAPI application: seed 001's endpoints under /api/v1/workflows, bearer-token auth, error bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from floe_api.auth import Identity, bearer
from floe_api.errors import ApiError
from floe_api.oidc import JwtVerifier, looks_like_jwt
from floe_api.orchestrator import Dagster
from floe_api.registry import Registry
from floe_api.schemas import (
    ApprovalRequest,
    ApprovalResponse,
    BackfillRequest,
    BackfillResponse,
    ErrorBody,
    HistoryItem,
    PauseRequest,
    PauseResponse,
    RegisterRequest,
    RegisterResponse,
    RunRequest,
    RunResponse,
    RunStatusResponse,
    SourceType,
    StopRequest,
    StopResponse,
    UnregisterResponse,
    WorkflowItem,
    WorkflowState,
)
from floe_api.service import WorkflowService
from floe_api.settings import Settings
from floe_api.sync import RunSync

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "invalid request (INVALID_CRON_EXPRESSION, INVALID_WORKFLOW_SPEC, ...)",
        401: "no or unknown bearer token (UNAUTHENTICATED)",
        403: "WORKFLOW_PERMISSION_DENIED: the role may not, or a CODE workflow",
        404: "WORKFLOW_NOT_FOUND or WORKFLOW_RUN_NOT_FOUND",
        409: "WORKFLOW_ALREADY_EXISTS, WORKFLOW_HAS_ACTIVE_RUNS",
        422: "INVALID_REQUEST: the body or a parameter does not match this document",
        503: "ORCHESTRATOR_UNAVAILABLE: Dagster is down or slow",
    }.items()
}


def identity(request: Request, authorization: Annotated[str | None, Header()] = None) -> Identity:
    token = bearer(authorization)
    verifier: JwtVerifier | None = request.app.state.jwt
    if verifier is not None and looks_like_jwt(token):
        return verifier.identify(token)
    registry: Registry = request.app.state.service.registry
    found = registry.identify(token)
    if found is None:
        raise ApiError(401, "UNAUTHENTICATED", "unknown bearer token")
    return Identity(found.subject, found.role)


def allowed(action: str) -> Any:
    """A dependency: the caller's identity, which must have the permission `action` (else 403)."""

    def check(who: Annotated[Identity, Depends(identity)]) -> Identity:
        who.require(action)
        return who

    return Depends(check)


def create_app(settings: Settings) -> FastAPI:
    registry = Registry(settings.database_url)
    dagster = Dagster(settings.dagster_url, ui_url=settings.dagster_ui_url, timeout=settings.dagster_timeout)
    service = WorkflowService(registry, dagster, settings.store, reload_timeout=settings.reload_timeout)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sync = RunSync(service, settings.run_sync_interval) if settings.run_sync_interval > 0 else None
        if sync is not None:
            sync.start()
        yield
        if sync is not None:
            sync.stop()
        dagster.close()
        registry.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="floe workflow API",
        version="0.1.0",
        description="Trigger, monitor and manage workflows over a running Dagster (docs/workflow-api.md).",
    )
    app.state.service = service
    app.state.jwt = JwtVerifier(settings.oidc) if settings.oidc is not None else None

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()]
        body = ErrorBody(code="INVALID_REQUEST", message="the request is invalid", problems=problems)
        return JSONResponse(body.model_dump(mode="json"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = ErrorBody(code=f"HTTP_{exc.status_code}", message=str(exc.detail))
        return JSONResponse(body.model_dump(mode="json"), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        body = ErrorBody(code=exc.code, message=exc.message, problems=exc.problems)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(body.model_dump(mode="json"), status_code=exc.status, headers=headers)

    api = APIRouter(prefix="/api/v1/workflows", tags=["workflows"], responses=ERRORS)

    @api.get("", response_model=list[WorkflowItem], summary="List workflows")
    def list_workflows(
        _: Annotated[Identity, allowed("list")],
        status: WorkflowState | None = None,
        source_type: SourceType | None = None,
        owner: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    ) -> list[WorkflowItem]:
        return service.list_workflows(status, source_type, owner, limit, offset)

    @api.get("/history", response_model=list[HistoryItem], summary="Run history")
    def history(
        _: Annotated[Identity, allowed("history")],
        dataset_name: str | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> list[HistoryItem]:
        return service.history(dataset_name, start_date, end_date, limit)

    @api.post(
        "/register", status_code=201, response_model=RegisterResponse, summary="Register a MANUAL workflow"
    )
    def register(body: RegisterRequest, who: Annotated[Identity, allowed("register")]) -> RegisterResponse:
        return service.register(body, who)

    @api.get("/runs/{run_id}", response_model=RunStatusResponse, summary="Run status")
    def status(run_id: str, _: Annotated[Identity, allowed("status")]) -> RunStatusResponse:
        return service.status(run_id)

    @api.post("/runs/{run_id}/stop", response_model=StopResponse, summary="Stop a run")
    def stop(
        run_id: str, who: Annotated[Identity, allowed("stop")], body: StopRequest | None = None
    ) -> StopResponse:
        return service.stop(run_id, (body or StopRequest()).reason, who)

    @api.post(
        "/runs/{run_id}/approve",
        response_model=ApprovalResponse,
        summary="Approve a run waiting for approval",
    )
    def approve(
        run_id: str, who: Annotated[Identity, allowed("approve")], body: ApprovalRequest | None = None
    ) -> ApprovalResponse:
        return service.decide(run_id, "APPROVED", (body or ApprovalRequest()).reason, who)

    @api.post(
        "/runs/{run_id}/reject", response_model=ApprovalResponse, summary="Reject a run waiting for approval"
    )
    def reject(
        run_id: str, who: Annotated[Identity, allowed("approve")], body: ApprovalRequest | None = None
    ) -> ApprovalResponse:
        return service.decide(run_id, "REJECTED", (body or ApprovalRequest()).reason, who)

    @api.post("/pause-all", response_model=list[PauseResponse], summary="Pause every workflow (admin)")
    def pause_all(
        who: Annotated[Identity, allowed("pause_all")], body: PauseRequest | None = None
    ) -> list[PauseResponse]:
        return service.pause_all(body or PauseRequest(), who, running=False)

    @api.post("/{dataset_name}/run", status_code=202, response_model=RunResponse, summary="Trigger a run")
    def run(
        dataset_name: str, who: Annotated[Identity, allowed("run")], body: RunRequest | None = None
    ) -> RunResponse:
        return service.run(dataset_name, body or RunRequest(), who)

    @api.post(
        "/{dataset_name}/backfill", status_code=202, response_model=BackfillResponse, summary="Backfill"
    )
    def backfill(
        dataset_name: str, body: BackfillRequest, who: Annotated[Identity, allowed("backfill")]
    ) -> BackfillResponse:
        return service.backfill(dataset_name, body, who)

    @api.post("/{dataset_name}/pause", response_model=PauseResponse, summary="Pause schedules and sensors")
    def pause(
        dataset_name: str, who: Annotated[Identity, allowed("pause")], body: PauseRequest | None = None
    ) -> PauseResponse:
        return service.pause(dataset_name, body or PauseRequest(), who, running=False)

    @api.post("/{dataset_name}/unpause", response_model=PauseResponse, summary="Unpause")
    def unpause(dataset_name: str, who: Annotated[Identity, allowed("unpause")]) -> PauseResponse:
        return service.pause(dataset_name, PauseRequest(), who, running=True)

    @api.delete("/{dataset_name}", response_model=UnregisterResponse, summary="Unregister a MANUAL workflow")
    def unregister(
        dataset_name: str, who: Annotated[Identity, allowed("unregister")], force: bool = False
    ) -> UnregisterResponse:
        return service.unregister(dataset_name, force, who)

    app.include_router(api)

    return app
