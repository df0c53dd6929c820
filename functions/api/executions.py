"""Executions and their logs: Kestra's `/api/v1/[main/]executions` and `/logs` routes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.creation.uploads import Upload
from engine.expressions import ExpressionError
from engine.model.execution import Execution
from engine.model.files import belongs_to, execution_prefix
from engine.model.serde import parse_instant
from engine.model.state import StateType
from engine.resources import NotFoundError
from engine.services.executions import ExecutionService, ExecutionStateError
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.requests import (
    body_bytes,
    filter_value,
    form,
    query,
    query_all,
    query_bool,
    query_int,
    query_pairs,
)

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

# `wait` answers within API Gateway's 30-second integration limit; past it, with the execution as it is.
WAIT_SECONDS = 25.0
_POLL_SECONDS = 0.05
_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")


@router.get("/executions/search")
def search_executions() -> dict[str, Any]:
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
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged([shapes.execution(e) for e in found], page, size)


@router.get("/executions/<execution_id>")
def get_execution(execution_id: str) -> dict[str, Any]:
    return shapes.execution(app.current().services.executions.get(execution_id))


@router.delete("/executions/<execution_id>/kill")
def kill_execution(execution_id: str) -> Response[str]:
    app.current().services.executions.kill(execution_id)
    return Response(202, content_types.TEXT_PLAIN, "")


@router.post("/executions/<execution_id>/pause")
def pause_execution(execution_id: str) -> Response[str]:
    app.current().services.executions.pause(execution_id)
    return Response(200, content_types.TEXT_PLAIN, "")


@router.post("/executions/<execution_id>/resume")
def resume_execution(execution_id: str) -> Response[str]:
    submitted = form(router.current_event)
    files = {name: Upload(file.filename, file.content) for name, file in submitted.files.items()}
    app.current().services.executions.resume(execution_id, submitted.fields, files)
    return Response(204, content_types.TEXT_PLAIN, "")


@router.post("/executions/<execution_id>/restart")
def restart_execution(execution_id: str) -> dict[str, Any]:
    revision = query_int(router.current_event, "revision")
    return shapes.execution(app.current().services.executions.restart(execution_id, revision))


@router.post("/executions/<execution_id>/replay")
def replay_execution(execution_id: str) -> dict[str, Any]:
    event = router.current_event
    replayed = app.current().services.executions.replay(
        execution_id, query(event, "taskRunId"), query_int(event, "revision")
    )
    return shapes.execution(replayed)


@router.post("/executions/<execution_id>/replay-with-inputs")
def replay_with_inputs(execution_id: str) -> dict[str, Any]:
    event = router.current_event
    submitted = form(event)
    if submitted.files:
        names = ", ".join(sorted(submitted.files))
        raise ApiError(422, f"Invalid entity: FILE inputs cannot be replaced on a replay yet ({names})")
    replayed = app.current().services.executions.replay(
        execution_id, query(event, "taskRunId"), query_int(event, "revision"), submitted.fields
    )
    return shapes.execution(replayed)


@router.post("/executions/<execution_id>/state")
def change_task_run_state(execution_id: str) -> dict[str, Any]:
    request = _json_body()
    task_run_id, state = request.get("taskRunId"), request.get("state")
    if not isinstance(task_run_id, str) or not isinstance(state, str):
        raise ApiError(422, "Invalid entity: the body needs a taskRunId and a state")
    changed = app.current().services.executions.set_task_run_state(execution_id, task_run_id, _state(state))
    return shapes.execution(changed)


@router.post("/executions/<execution_id>/change-status")
def change_status(execution_id: str) -> dict[str, Any]:
    status = query(router.current_event, "status") or ""
    return shapes.execution(app.current().services.executions.change_status(execution_id, _state(status)))


@router.get("/executions/<execution_id>/follow")
def follow_execution(execution_id: str) -> Response[str]:
    """Server-sent events: the execution each time it changes, until it ends (or WAIT_SECONDS, API
    Gateway's limit: a client follows again). API Gateway sends the events when the answer is complete."""
    services = app.current().services
    execution = services.executions.get(execution_id)
    events = [_event(shapes.execution(execution))]
    deadline = time.monotonic() + WAIT_SECONDS
    while not execution.state.current.terminated and time.monotonic() < deadline:
        head = services.store.head(execution_id)
        if head is not None and head.version != execution.version:
            execution = services.executions.get(execution_id)
            events.append(_event(shapes.execution(execution)))
        else:
            time.sleep(_POLL_SECONDS)
    return Response(200, "text/event-stream", "".join(events))


@router.get("/logs/<execution_id>/follow")
def follow_logs(execution_id: str) -> Response[str]:
    """Server-sent events: each log line at or above `minLevel`, until the execution ends."""
    services = app.current().services
    minimum = _level(query(router.current_event, "minLevel"))
    execution = wait_until_terminated(services.executions.get(execution_id))
    lines = [
        _event(shapes.log(entry, execution.namespace, execution.flow_id))
        for entry in services.executions.logs(execution_id)
        if _rank(entry.level) >= minimum
    ]
    return Response(200, "text/event-stream", "".join(lines))


@router.get("/logs/search")
def search_logs() -> dict[str, Any]:
    """Log lines of the executions a filter names (namespace, flowId, executionId), at or above `minLevel`
    (or `filters[level][EQUALS]`), containing `q`; newest executions first."""
    event = router.current_event
    services = app.current().services
    execution_id = filter_value(event, "executionId")
    if execution_id is not None:
        executions = [services.executions.get(execution_id)]
    else:
        executions = services.store.search(filter_value(event, "namespace"), filter_value(event, "flowId"))
    minimum = _level(filter_value(event, "level") or query(event, "minLevel"))
    text = (query(event, "q") or filter_value(event, "q") or "").lower()
    lines = [
        shapes.log(entry, execution.namespace, execution.flow_id)
        for execution in executions
        for entry in services.executions.logs(execution.id)
        if _rank(entry.level) >= minimum and text in entry.message.lower()
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
        if _rank(entry.level) >= minimum
        and (task_run_id is None or entry.task_run_id == task_run_id)
        and (task_id is None or entry.task_id == task_id)
        and (attempt is None or entry.attempt_number == attempt)
    ]
    return [shapes.log(entry, execution.namespace, execution.flow_id) for entry in entries]


def wait_until_terminated(execution: Execution) -> Execution:
    """The execution once terminated, or as it is after WAIT_SECONDS."""
    services = app.current().services
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        head = services.store.head(execution.id)
        if head is not None and head.state.terminated:
            break
        time.sleep(_POLL_SECONDS)
    return services.executions.get(execution.id)


def _instant(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_instant(text)
    except ValueError:
        raise ApiError(422, f"Invalid entity: {name}: '{text}' is not an ISO-8601 date-time") from None


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, separators=(',', ':'))}\n\n"


def _level(text: str | None) -> int:
    level = (text or "TRACE").upper()
    if level not in _LEVELS:
        raise ApiError(400, f"Invalid level '{level}': one of {', '.join(_LEVELS)}")
    return _LEVELS.index(level)


def _rank(level: str) -> int:
    return _LEVELS.index(level) if level in _LEVELS else _LEVELS.index("INFO")


def _label(text: str) -> tuple[str, str]:
    key, separator, value = text.partition(":")
    if not separator or not key:
        raise ApiError(400, f"Invalid label '{text}': expected key:value")
    return key, value


def _state(text: str) -> StateType:
    try:
        return StateType(text.upper())
    except ValueError:
        raise ApiError(422, f"Invalid entity: unknown state '{text}'") from None


def _json_body() -> dict[str, Any]:
    try:
        value = json.loads(body_bytes(router.current_event) or b"{}")
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}") from None
    if not isinstance(value, dict):
        raise ApiError(400, "The JSON body must be an object")
    return value


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


@router.post("/executions/<execution_id>/labels")
def set_labels(execution_id: str) -> dict[str, Any]:
    """Replace the labels of an ended execution: a JSON list of `{key, value}`."""
    try:
        body = json.loads(body_bytes(router.current_event) or b"[]")
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}") from None
    if not isinstance(body, list) or not all(
        isinstance(i, dict) and "key" in i and "value" in i for i in body
    ):
        raise ApiError(422, "Invalid entity: the body must be a list of {key, value} labels")
    labels = [(str(item["key"]), str(item["value"])) for item in body]
    return shapes.execution(app.current().services.executions.set_labels(execution_id, labels))


@router.post("/executions/<execution_id>/eval/<task_run_id>")
def evaluate(execution_id: str, task_run_id: str) -> dict[str, Any]:
    """An expression rendered in a task run's context, as Kestra's debug console does."""
    expression = body_bytes(router.current_event).decode()
    try:
        result = app.current().services.executions.evaluate(execution_id, task_run_id, expression)
    except ExpressionError as exc:
        return {"result": None, "error": str(exc), "stackTrace": None}
    return {"result": result, "error": None, "stackTrace": None}


@router.get("/executions/<execution_id>/file")
def download_file(execution_id: str) -> Response[bytes]:
    uri = _execution_file(execution_id)
    content = app.current().services.resources.storage.get(uri)
    name = uri.rsplit("/", 1)[-1]
    return Response(
        200,
        "application/octet-stream",
        content,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/executions/<execution_id>/file/metas")
def file_metadata(execution_id: str) -> dict[str, Any]:
    uri = _execution_file(execution_id)
    return {"size": app.current().services.resources.storage.size(uri)}


@router.get("/logs/<execution_id>/download")
def download_logs(execution_id: str) -> Response[str]:
    lines = [f"{entry['timestamp']} {entry['level']} {entry['message']}" for entry in list_logs(execution_id)]
    return Response(200, content_types.TEXT_PLAIN, "\n".join(lines) + ("\n" if lines else ""))


def _execution_file(execution_id: str) -> str:
    """The `path` parameter, a `kestra://` URI of a file of this execution (its inputs and outputs)."""
    execution = app.current().services.executions.get(execution_id)
    uri = query(router.current_event, "path") or ""
    if not belongs_to(uri, execution_prefix(execution.namespace, execution.flow_id, execution.id)):
        raise ApiError(422, f"Invalid entity: path: '{uri}' is not a file of execution '{execution_id}'")
    return uri


@router.delete("/executions/by-ids")
def delete_by_ids() -> dict[str, Any]:
    return _bulk(lambda service, execution_id: service.delete(execution_id))


@router.delete("/executions/kill/by-ids")
def kill_by_ids() -> dict[str, Any]:
    return _bulk(lambda service, execution_id: service.kill(execution_id))


@router.post("/executions/restart/by-ids")
def restart_by_ids() -> dict[str, Any]:
    return _bulk(lambda service, execution_id: service.restart(execution_id))


@router.post("/executions/resume/by-ids")
def resume_by_ids() -> dict[str, Any]:
    return _bulk(lambda service, execution_id: service.resume(execution_id))


@router.delete("/executions/<execution_id>")
def delete_execution(execution_id: str) -> Response[str]:
    app.current().services.executions.delete(execution_id)
    return shapes.no_content()


def _bulk(action: Callable[[ExecutionService, str], object]) -> dict[str, Any]:
    """Kestra's BulkResponse: how many of the listed executions took the action; a refusal of any is a 422
    listing every refusal (nothing is undone: each action stands alone)."""
    try:
        ids = json.loads(body_bytes(router.current_event) or b"[]")
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}") from None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(422, "Invalid entity: the body must be a list of execution ids")
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


# After the routes of one execution's actions, which the same pattern would match.
@router.post("/executions/<namespace>/<flow_id>")
def create_execution(namespace: str, flow_id: str) -> dict[str, Any]:
    event = router.current_event
    schedule_date = _instant(query(event, "scheduleDate"), "scheduleDate")
    submitted = form(event)
    labels = [_label(text) for text in query_all(event, "labels")]
    files = {name: Upload(file.filename, file.content) for name, file in submitted.files.items()}
    services = app.current().services
    execution = services.executions.create(
        namespace,
        flow_id,
        submitted.fields,
        labels,
        revision=query_int(event, "revision"),
        files=files,
        schedule_date=schedule_date,
    )
    if query_bool(event, "wait"):
        execution = wait_until_terminated(execution)
    return shapes.execution(execution)
