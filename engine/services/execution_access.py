"""What tasks reach of other executions (`Resources.executions`): searched, resumed, purged, through the
execution service. Bound once the service exists, since the service is built over the resources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.creation.inputs import InvalidInputsError
from engine.model.execution import Execution
from engine.model.files import execution_prefix
from engine.model.logs import LogPurge
from engine.services.executions import ExecutionService, ExecutionStateError


class ExecutionAccess:
    def __init__(self) -> None:
        self._service: ExecutionService | None = None

    def bind(self, service: ExecutionService) -> None:
        self._service = service

    @property
    def service(self) -> ExecutionService:
        assert self._service is not None, "bound by Services.build"
        return self._service

    def search(self, namespace: str | None, flow_id: str | None) -> list[Execution]:
        return self.service.store.search(namespace, flow_id)

    def resume(self, execution_id: str, inputs: Mapping[str, Any]) -> None:
        try:
            self.service.resume(execution_id, inputs)
        except (ExecutionStateError, InvalidInputsError) as exc:
            raise ValueError(str(exc)) from None

    def purge_logs(self, execution_id: str, purge: LogPurge) -> int:
        store = self.service.store
        count = sum(1 for entry in store.logs(execution_id) if purge.removes(entry))
        if count:
            store.purge_logs(execution_id, purge)
        return count

    def purge(self, execution: Execution, *, record: bool, logs: bool, files: bool) -> tuple[int, int]:
        service = self.service
        lines = len(service.store.logs(execution.id)) if logs else 0
        removed = 0
        if files:
            storage = service.engine.resources.storage
            prefix = execution_prefix(execution.namespace, execution.flow_id, execution.id)
            removed = sum(storage.delete(stored.uri) for stored in storage.list(prefix))
        if record:
            service.store.delete(execution.id)
        elif logs:
            service.store.purge_logs(execution.id, LogPurge(before=service.clock.now()))
        return lines, removed
