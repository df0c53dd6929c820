"""Many executions at once: search, and the commands by ids or by the search's filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.model.execution import Execution
from engine.model.serde import format_instant
from engine.model.state import StateType
from engine.resources import NotFoundError
from engine.services.executions import ExecutionService, ExecutionStateError
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.executions import labels_of, unqueue_state
from functions.api.query_filters import Filters, Resource
from functions.api.requests import json_body, query, query_bool, query_int, state_of
from functions.api.sorting import sorted_by

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.get("/executions/search")
def search_executions() -> dict[str, Any]:
    event = router.current_event
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    found = sorted_by(event, _searched(), SORTS)
    return shapes.paged([shapes.execution(e) for e in found], page, size)


# Kestra's sortable fields of an execution.
SORTS: dict[str, Callable[[Execution], Any]] = {
    "id": lambda e: e.id,
    "namespace": lambda e: e.namespace,
    "flowId": lambda e: e.flow_id,
    "state.current": lambda e: e.state.current.value,
    "state.startDate": lambda e: e.state.start_date,
    "state.endDate": lambda e: e.state.end_date,
    "state.duration": lambda e: e.state.end_date - e.state.start_date if e.state.end_date else None,
}


def _searched() -> list[Execution]:
    """The executions the query's filters name (functions/api/query_filters.py), newest first."""
    filters = Filters.of(router.current_event, Resource.EXECUTION)
    services = app.current().services
    since = filters.since(services.clock.now())
    return [
        execution
        for execution in filters.executions(services.store)
        if _kept(filters, execution) and (since is None or execution.state.start_date >= since)
    ]


def _kept(filters: Filters, execution: Execution) -> bool:
    parent = execution.trigger_execution_id()
    labels = execution.label_map()
    return (
        filters.flow(execution.namespace, execution.flow_id)
        and filters.text("state", execution.state.current.value)
        and filters.labels(labels)
        and filters.instant("startDate", execution.state.start_date)
        and filters.instant("endDate", execution.state.end_date)
        and filters.text("triggerExecutionId", parent)
        and filters.text("childFilter", "MAIN" if parent is None else "CHILD")
        and filters.text("kind", "NORMAL")  # Kite has no test or playground executions
        and filters.query(
            execution.id, execution.namespace, execution.flow_id, *(f"{k}:{v}" for k, v in labels.items())
        )
    )


@router.get("/executions")
def executions_of_flow() -> dict[str, Any]:
    """Kestra's older search of one flow's executions (`namespace`, `flowId`), newest first."""
    event = router.current_event
    namespace, flow_id = query(event, "namespace"), query(event, "flowId")
    if not namespace or not flow_id:
        raise ApiError(422, "Invalid entity: namespace and flowId are required")
    found = sorted_by(event, app.current().services.store.search(namespace, flow_id), SORTS)
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged([shapes.execution(e) for e in found], page, size)


@router.post("/executions/latest")
def latest_executions() -> list[dict[str, Any]]:
    """Kestra's last execution of each flow the body names (`[{namespace, id}]`): one item read a flow."""
    body = json_body(router.current_event, [])
    if not isinstance(body, list) or not all(
        isinstance(f, dict) and isinstance(f.get("namespace"), str) and isinstance(f.get("id"), str)
        for f in body
    ):
        raise ApiError(422, "Invalid entity: the body must be a list of {namespace, id} flows")
    store = app.current().services.store
    latest = []
    for flow in body:
        for execution in store.search(flow["namespace"], flow["id"], limit=1):
            latest.append(
                {
                    "id": execution.id,
                    "flowId": execution.flow_id,
                    "namespace": execution.namespace,
                    "startDate": format_instant(execution.state.start_date),
                    "status": execution.state.current.value,
                }
            )
    return latest


@router.post("/executions/pause/by-ids")
def pause_by_ids() -> dict[str, Any]:
    return _bulk(ExecutionService.pause)


@router.post("/executions/pause/by-query")
def pause_by_query() -> dict[str, Any]:
    return _bulk(ExecutionService.pause, _query_ids())


@router.delete("/executions/by-ids")
def delete_by_ids() -> dict[str, Any]:
    return _bulk(ExecutionService.delete)


@router.delete("/executions/kill/by-ids")
def kill_by_ids() -> dict[str, Any]:
    return _bulk(ExecutionService.kill)


@router.post("/executions/restart/by-ids")
def restart_by_ids() -> dict[str, Any]:
    return _bulk(ExecutionService.restart)


@router.post("/executions/resume/by-ids")
def resume_by_ids() -> dict[str, Any]:
    return _bulk(ExecutionService.resume)


@router.delete("/executions/by-query")
def delete_by_query() -> dict[str, Any]:
    return _bulk(ExecutionService.delete, _query_ids())


@router.delete("/executions/kill/by-query")
def kill_by_query() -> dict[str, Any]:
    return _bulk(ExecutionService.kill, _query_ids())


@router.post("/executions/restart/by-query")
def restart_by_query() -> dict[str, Any]:
    return _bulk(ExecutionService.restart, _query_ids())


@router.post("/executions/resume/by-query")
def resume_by_query() -> dict[str, Any]:
    return _bulk(ExecutionService.resume, _query_ids())


@router.post("/executions/unqueue/by-ids")
def unqueue_by_ids() -> dict[str, Any]:
    state = unqueue_state(router.current_event)
    return _bulk(lambda service, execution_id: service.unqueue(execution_id, state))


@router.post("/executions/unqueue/by-query")
def unqueue_by_query() -> dict[str, Any]:
    state = unqueue_state(router.current_event)
    return _bulk(lambda service, execution_id: service.unqueue(execution_id, state), _query_ids())


@router.post("/executions/force-run/by-ids")
def force_run_by_ids() -> dict[str, Any]:
    return _bulk(ExecutionService.force_run)


@router.post("/executions/force-run/by-query")
def force_run_by_query() -> dict[str, Any]:
    return _bulk(ExecutionService.force_run, _query_ids())


@router.post("/executions/change-status/by-ids")
def change_status_by_ids() -> dict[str, Any]:
    status = _terminal_status()
    return _bulk(lambda service, execution_id: service.change_status(execution_id, status))


@router.post("/executions/change-status/by-query")
def change_status_by_query() -> dict[str, Any]:
    status = _terminal_status()
    return _bulk(lambda service, execution_id: service.change_status(execution_id, status), _query_ids())


def _terminal_status() -> StateType:
    status = state_of(query(router.current_event, "newStatus") or "")
    if not status.terminated:
        raise ApiError(422, f"Invalid entity: newStatus: '{status.value}' is not a terminal state")
    return status


@router.post("/executions/replay/by-ids")
def replay_by_ids() -> dict[str, Any]:
    return _bulk(_replay)


@router.post("/executions/replay/by-query")
def replay_by_query() -> dict[str, Any]:
    return _bulk(_replay, _query_ids())


def _replay(service: ExecutionService, execution_id: str) -> Execution:
    """A new execution of the same flow revision, or of the latest with `latestRevision`."""
    return service.replay(execution_id, latest_revision=query_bool(router.current_event, "latestRevision"))


@router.post("/executions/labels/by-ids")
def labels_by_ids() -> dict[str, Any]:
    """Kestra's SetLabelsByIdsRequest: `executionsId`, and `executionLabels` added to (or updating) theirs."""
    body = json_body(router.current_event, {})
    if not isinstance(body, dict):
        raise ApiError(422, "Invalid entity: the body must be {executionsId, executionLabels}")
    return _add_labels(labels_of(body.get("executionLabels")), _ids(body.get("executionsId")))


@router.post("/executions/labels/by-query")
def labels_by_query() -> dict[str, Any]:
    return _add_labels(labels_of(json_body(router.current_event, [])), _query_ids())


def _add_labels(labels: list[tuple[str, str]], ids: list[str]) -> dict[str, Any]:
    return _bulk(lambda service, execution_id: service.set_labels(execution_id, labels), ids)


def _query_ids() -> list[str]:
    return [execution.id for execution in _searched()]


def _bulk(
    action: Callable[[ExecutionService, str], object], selected: list[str] | None = None
) -> dict[str, Any]:
    """Kestra's BulkResponse: how many of the executions (the body's ids, or `selected`) took the action; a
    refusal of any is a 422 listing every refusal (nothing is undone: each action stands alone)."""
    ids = selected if selected is not None else _ids_body()
    service = app.current().services.executions
    refused = []
    for execution_id in ids:
        try:
            action(service, execution_id)
        except (NotFoundError, ExecutionStateError) as exc:
            refused.append(f"{execution_id}: {exc}")
    if refused:
        raise ApiError(422, "Invalid entity: " + "; ".join(refused), refused)
    return {"count": len(ids)}


def _ids_body() -> list[str]:
    return _ids(json_body(router.current_event, []))


def _ids(ids: Any) -> list[str]:
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(422, "Invalid entity: the body must be a list of execution ids")
    return ids
