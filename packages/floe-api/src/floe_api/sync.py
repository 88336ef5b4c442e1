"""RunSync: a background thread that adopts, every `interval` seconds, the workflow runs Dagster has and the
registry does not (schedules', sensors', the UI's), a batch of runs per GraphQL query (WorkflowService.
sync_runs). A finished run's status and progress are then answered from the registry; an unfinished one's
are always asked of Dagster by the status call itself, so the sync never makes a status stale."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError

from floe_api.orchestrator import OrchestratorError, OrchestratorUnavailable
from floe_api.service import WorkflowService

log = logging.getLogger(__name__)


class RunSync:
    def __init__(self, service: WorkflowService, interval: float) -> None:
        self.service = service
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="floe-api-run-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                adopted = self.service.sync_runs()
                if adopted:
                    log.info("adopted %d workflow runs launched outside the API", adopted)
            except (OrchestratorUnavailable, OrchestratorError) as exc:
                log.debug("run sync: Dagster unavailable (%s)", exc)
            except SQLAlchemyError as exc:
                log.warning("run sync: registry error (%s)", exc)
            self._stop.wait(self.interval)
