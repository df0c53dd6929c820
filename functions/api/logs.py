"""Log lines: Kestra's `/api/v1/[main/]logs` routes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.model.logs import LEVELS, LogPurge, level_rank
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.executions import event_stream, wait_until_terminated
from functions.api.query_filters import Filters, Op, Resource
from functions.api.requests import query, query_int

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.get("/logs/<execution_id>/follow")
def follow_logs(execution_id: str) -> Response[str]:
    """Server-sent events: each log line at or above `minLevel`, until the execution ends."""
    services = app.current().services
    minimum = _level(query(router.current_event, "minLevel"))
    execution = wait_until_terminated(services.executions.get(execution_id))
    lines = [
        event_stream(shapes.log(entry, execution.namespace, execution.flow_id))
        for entry in services.executions.logs(execution_id)
        if level_rank(entry.level) >= minimum
    ]
    return Response(200, "text/event-stream", "".join(lines))


@router.get("/logs/search")
def search_logs() -> dict[str, Any]:
    """Log lines of the executions the filters name (namespace, flowId, executionId), at or above the
    level (`filters[level][EQUALS]`, or `minLevel`), containing `q`, within the dates; newest executions
    first."""
    event = router.current_event
    filters = Filters.of(event, Resource.LOG)
    services = app.current().services
    execution_id = filters.equal("executionId")
    if execution_id is not None:
        executions = [services.executions.get(execution_id)]
    else:
        executions = filters.executions(services.store)
    levels = [(item.op, _level(item.value)) for item in filters.on("level")]
    since = filters.since(services.clock.now())
    lines = [
        shapes.log(entry, execution.namespace, execution.flow_id)
        for execution in executions
        if filters.flow(execution.namespace, execution.flow_id) and filters.text("executionId", execution.id)
        for entry in services.executions.logs(execution.id)
        if all((level_rank(entry.level) >= minimum) == (op == Op.EQUALS) for op, minimum in levels)
        and filters.query(entry.message)
        and filters.instant("startDate", entry.timestamp)
        and filters.instant("endDate", entry.timestamp)
        and (since is None or entry.timestamp >= since)
        and filters.text("triggerId", None)  # the lines of executions, none of a trigger's evaluation
    ]
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged(lines, page, size)


@router.get("/logs/<execution_id>")
def list_logs(execution_id: str) -> list[dict[str, Any]]:
    event = router.current_event
    services = app.current().services
    execution = services.executions.get(execution_id)
    minimum = _level(query(event, "minLevel"))
    task_run_id, task_id = query(event, "taskRunId"), query(event, "taskId")
    attempt = query_int(event, "attempt")
    entries = [
        entry
        for entry in services.executions.logs(execution_id)
        if level_rank(entry.level) >= minimum
        and (task_run_id is None or entry.task_run_id == task_run_id)
        and (task_id is None or entry.task_id == task_id)
        and (attempt is None or entry.attempt_number == attempt)
    ]
    return [shapes.log(entry, execution.namespace, execution.flow_id) for entry in entries]


@router.delete("/logs/<execution_id>")
def delete_logs(execution_id: str) -> Response[str]:
    """Delete the execution's log lines matching the filters (all of them without any)."""
    event = router.current_event
    services = app.current().services
    services.executions.get(execution_id)  # 404 for an unknown execution
    min_level = query(event, "minLevel")
    if min_level is not None:
        _level(min_level)
    purge = LogPurge(
        before=services.clock.now(),
        min_level=min_level.upper() if min_level else None,
        task_run_id=query(event, "taskRunId"),
        task_id=query(event, "taskId"),
        attempt=query_int(event, "attempt"),
    )
    services.store.purge_logs(execution_id, purge)
    return shapes.no_content()


@router.get("/logs/<execution_id>/download")
def download_logs(execution_id: str) -> Response[str]:
    lines = [f"{entry['timestamp']} {entry['level']} {entry['message']}" for entry in list_logs(execution_id)]
    return Response(200, content_types.TEXT_PLAIN, "\n".join(lines) + ("\n" if lines else ""))


def _level(text: str | None) -> int:
    level = (text or "TRACE").upper()
    if level not in LEVELS:
        raise ApiError(400, f"Invalid level '{level}': one of {', '.join(LEVELS)}")
    return LEVELS.index(level)
