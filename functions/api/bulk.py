"""Many executions at once: search, and the commands by ids or by the search's filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.model.execution import Execution
from engine.resources import NotFoundError
from engine.services.executions import ExecutionService, ExecutionStateError
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.requests import (
    filter_value,
    json_body,
    query,
    query_instant,
    query_int,
    query_pairs,
)

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.get("/executions/search")
def search_executions() -> dict[str, Any]:
    event = router.current_event
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged([shapes.execution(e) for e in _searched()], page, size)


def _searched() -> list[Execution]:
    """The executions the query's filters name (namespace, flowId, state, labels), newest first."""
    event = router.current_event
    states = [s for value in _all_filters(event, "state") for s in value.split(",") if s]
    found = app.current().services.store.search(
        filter_value(event, "namespace"), filter_value(event, "flowId")
    )
    if states:
        found = [e for e in found if e.state.current.value in states]
    labels = [value for value in _all_filters(event, "labels") if ":" in value]
    for label in labels:
        key, _, value = label.partition(":")
        found = [e for e in found if e.label_map().get(key) == value]
    start, end = query_instant(event, "startDate"), query_instant(event, "endDate")
    if start is not None:
        found = [e for e in found if e.state.start_date >= start]
    if end is not None:
        found = [e for e in found if e.state.start_date <= end]
    return found


def _all_filters(event: Any, field: str) -> list[str]:
    """Every value of a filter on `field`; a map filter (`filters[labels][EQUALS][env]=prod`) as
    `key:value`."""
    values = []
    prefix = f"filters[{field}]["
    for key, value in query_pairs(event):
        if key == field:
            values.append(value)
        elif key.startswith(prefix):
            operation, _, rest = key[len(prefix) :].partition("]")
            if operation in ("EQUALS", "IN"):
                inner = rest.removeprefix("[").removesuffix("]")
                values.append(f"{inner}:{value}" if inner else value)
    return values


@router.get("/executions")
def executions_of_flow() -> dict[str, Any]:
    """Kestra's older search of one flow's executions (`namespace`, `flowId`), newest first."""
    event = router.current_event
    namespace, flow_id = query(event, "namespace"), query(event, "flowId")
    if not namespace or not flow_id:
        raise ApiError(422, "Invalid entity: namespace and flowId are required")
    found = app.current().services.store.search(namespace, flow_id)
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged([shapes.execution(e) for e in found], page, size)


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
    ids = json_body(router.current_event, [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(422, "Invalid entity: the body must be a list of execution ids")
    return ids
