"""One execution: Kestra's `/api/v1/[main/]executions/{id}/…` routes, and creating one."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from engine.creation.inputs import input_states
from engine.expressions import ExpressionError
from engine.flow.graph import FlowGraph
from engine.flow.model import Flow
from engine.flow.topology import flow_graph
from engine.model.execution import Execution
from engine.model.files import belongs_to, execution_prefix
from engine.model.serde import task_run_to_json
from engine.model.state import StateType
from engine.task_api import Input
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.file_preview import file_render
from functions.api.requests import (
    body_bytes,
    form,
    header,
    json_body,
    query,
    query_all,
    query_bool,
    query_instant,
    query_int,
    state_of,
)

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

# `wait` answers within API Gateway's 30-second integration limit; past it, with the execution as it is.
WAIT_SECONDS = 25.0


_POLL_SECONDS = 0.05


# Before an execution's own routes, whose pattern would match them.
@router.get("/executions/namespaces")
def executable_namespaces() -> list[str]:
    """Kestra's namespaces that have a flow one can execute (not disabled)."""
    return sorted({graph.flow.namespace for graph in _executable()})


@router.get("/executions/namespaces/<namespace>/flows")
def executable_flows(namespace: str) -> list[dict[str, Any]]:
    """Kestra's flows of a namespace one can execute, as FlowForExecution."""
    return [shapes.flow_for_execution(graph) for graph in _executable(namespace)]


def _executable(namespace: str | None = None) -> list[FlowGraph]:
    catalog = app.current().services.catalog
    graphs = [
        catalog.graph(record.namespace, record.id, record.revision)
        for record in catalog.repository.list(namespace)
    ]
    return [graph for graph in graphs if not graph.flow.disabled]


@router.get("/executions/<execution_id>")
def get_execution(execution_id: str) -> Response[Any]:
    """With an `ETag` (the stored version): a client that polls (a browser revalidates by itself) gets a
    304 for an execution that did not change, from its head alone, not from reading every task run."""
    services = app.current().services
    known = header(router.current_event, "if-none-match")
    if known:
        head = services.store.head(execution_id)
        if head is not None and known == _etag(head.version):
            return Response(304, None, "", headers=_revalidate(head.version))
    execution = services.executions.get(execution_id)
    body = shapes.execution(execution)
    return Response(200, content_types.APPLICATION_JSON, body, headers=_revalidate(execution.version))


def _etag(version: int) -> str:
    return f'"v{version}"'


def _revalidate(version: int) -> dict[str, str]:
    return {"ETag": _etag(version), "Cache-Control": "no-cache"}


@router.get("/executions/<execution_id>/graph")
def execution_topology(execution_id: str) -> dict[str, Any]:
    """The flow's topology with each task's latest task run: what the UI colours by state."""
    services = app.current().services
    execution = services.executions.get(execution_id)
    graph = services.catalog.graph(execution.namespace, execution.flow_id, execution.flow_revision)
    latest = {run.task_id: task_run_to_json(run) for run in execution.task_runs}
    return flow_graph(graph.flow, latest)


@router.get("/executions/<execution_id>/flow")
def flow_of_execution(execution_id: str) -> dict[str, Any]:
    """Kestra's FlowForExecution of the revision the execution runs."""
    services = app.current().services
    execution = services.executions.get(execution_id)
    graph = services.catalog.graph(execution.namespace, execution.flow_id, execution.flow_revision)
    return shapes.flow_for_execution(graph)


@router.get("/executions/flows/<namespace>/<flow_id>")
def flow_for_execution(namespace: str, flow_id: str) -> dict[str, Any]:
    """Kestra's FlowForExecution of a revision (the latest without `revision`)."""
    revision = query_int(router.current_event, "revision")
    return shapes.flow_for_execution(app.current().services.catalog.graph(namespace, flow_id, revision))


@router.delete("/executions/<execution_id>/kill")
def kill_execution(execution_id: str) -> Response[str]:
    cascade = (query(router.current_event, "isOnKillCascade") or "true").lower() != "false"
    app.current().services.executions.kill(execution_id, cascade=cascade)
    return Response(202, content_types.TEXT_PLAIN, "")


@router.post("/executions/<execution_id>/pause")
def pause_execution(execution_id: str) -> Response[str]:
    app.current().services.executions.pause(execution_id)
    return Response(200, content_types.TEXT_PLAIN, "")


@router.post("/executions/<execution_id>/resume")
def resume_execution(execution_id: str) -> Response[str]:
    submitted = form(router.current_event)
    app.current().services.executions.resume(execution_id, submitted.fields, submitted.files)
    return shapes.no_content()


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
    replayed = app.current().services.executions.replay(
        execution_id,
        query(event, "taskRunId"),
        query_int(event, "revision"),
        submitted.fields,
        submitted.files,
    )
    return shapes.execution(replayed)


@router.post("/executions/<execution_id>/state")
def change_task_run_state(execution_id: str) -> dict[str, Any]:
    request = _json_body()
    task_run_id, state = request.get("taskRunId"), request.get("state")
    if not isinstance(task_run_id, str) or not isinstance(state, str):
        raise ApiError(422, "Invalid entity: the body needs a taskRunId and a state")
    changed = app.current().services.executions.set_task_run_state(execution_id, task_run_id, state_of(state))
    return shapes.execution(changed)


@router.post("/executions/<execution_id>/change-status")
def change_status(execution_id: str) -> dict[str, Any]:
    status = query(router.current_event, "status") or ""
    return shapes.execution(app.current().services.executions.change_status(execution_id, state_of(status)))


@router.get("/executions/<execution_id>/follow")
def follow_execution(execution_id: str) -> Response[str]:
    """Server-sent events: the execution each time it changes, until it ends (or WAIT_SECONDS, API
    Gateway's limit: a client follows again). API Gateway sends the events when the answer is complete."""
    services = app.current().services
    execution = services.executions.get(execution_id)
    events = [event_stream(shapes.execution(execution))]
    deadline = time.monotonic() + WAIT_SECONDS
    while not execution.state.current.terminated and time.monotonic() < deadline:
        head = services.store.head(execution_id)
        if head is not None and head.version != execution.version:
            execution = services.executions.get(execution_id)
            events.append(event_stream(shapes.execution(execution)))
        else:
            time.sleep(_POLL_SECONDS)
    return Response(200, "text/event-stream", "".join(events))


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


def event_stream(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, separators=(',', ':'))}\n\n"


def _label(text: str) -> tuple[str, str]:
    key, separator, value = text.partition(":")
    if not separator or not key:
        raise ApiError(400, f"Invalid label '{text}': expected key:value")
    return key, value


def _json_body() -> dict[str, Any]:
    value = json_body(router.current_event, {})
    if not isinstance(value, dict):
        raise ApiError(400, "The JSON body must be an object")
    return value


@router.post("/executions/<execution_id>/labels")
def set_labels(execution_id: str) -> dict[str, Any]:
    """Add or update labels of an ended execution: a JSON list of `{key, value}`."""
    labels = labels_of(json_body(router.current_event, []))
    return shapes.execution(app.current().services.executions.set_labels(execution_id, labels))


def labels_of(body: Any) -> list[tuple[str, str]]:
    """Kestra's labels in a JSON body: a list of `{key, value}`."""
    if not isinstance(body, list) or not all(
        isinstance(i, dict) and "key" in i and "value" in i for i in body
    ):
        raise ApiError(422, "Invalid entity: the body must be a list of {key, value} labels")
    return [(str(item["key"]), str(item["value"])) for item in body]


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


@router.get("/executions/<execution_id>/file/preview")
def preview_file(execution_id: str) -> dict[str, Any]:
    """Kestra's preview of a file of this execution: what a page shows of it, never the whole of a text."""
    event = router.current_event
    uri = _execution_file(execution_id)
    storage = app.current().services.resources.storage
    return file_render(storage, uri, query_int(event, "maxRows"), query(event, "encoding") or "UTF-8")


@router.get("/executions/<execution_id>/file/metas")
def file_metadata(execution_id: str) -> dict[str, Any]:
    uri = _execution_file(execution_id)
    return {"size": app.current().services.resources.storage.size(uri)}


def _execution_file(execution_id: str) -> str:
    """The `path` parameter, a `kestra://` URI of a file of this execution (its inputs and outputs)."""
    execution = app.current().services.executions.get(execution_id)
    uri = query(router.current_event, "path") or ""
    if not belongs_to(uri, execution_prefix(execution.namespace, execution.flow_id, execution.id)):
        raise ApiError(422, f"Invalid entity: path: '{uri}' is not a file of execution '{execution_id}'")
    return uri


@router.delete("/executions/<execution_id>")
def delete_execution(execution_id: str) -> Response[str]:
    app.current().services.executions.delete(execution_id)
    return shapes.no_content()


@router.post("/executions/<execution_id>/unqueue")
def unqueue_execution(execution_id: str) -> dict[str, Any]:
    state = unqueue_state(router.current_event)
    return shapes.execution(app.current().services.executions.unqueue(execution_id, state))


def unqueue_state(event: APIGatewayProxyEventV2) -> StateType:
    """Where unqueued executions go: `state` (`newState` in Kestra's by-query route), RUNNING by default."""
    return state_of(query(event, "state") or query(event, "newState") or StateType.RUNNING.value)


@router.post("/executions/<execution_id>/force-run")
def force_run_execution(execution_id: str) -> dict[str, Any]:
    return shapes.execution(app.current().services.executions.force_run(execution_id))


# After the routes of one execution's actions, which the same pattern would match.
@router.post("/executions/<namespace>/<flow_id>")
@router.post("/executions/trigger/<namespace>/<flow_id>")  # Kestra's older path, deprecated there
def create_execution(namespace: str, flow_id: str) -> dict[str, Any]:
    event = router.current_event
    schedule_date = query_instant(event, "scheduleDate")
    submitted = form(event)
    labels = [_label(text) for text in query_all(event, "labels")]
    services = app.current().services
    execution = services.executions.create(
        namespace,
        flow_id,
        submitted.fields,
        labels,
        revision=query_int(event, "revision"),
        files=submitted.files,
        schedule_date=schedule_date,
    )
    if query_bool(event, "wait"):
        execution = wait_until_terminated(execution)
    return shapes.execution(execution)


@router.post("/executions/<execution_id>/resume/validate")
def validate_resume_inputs(execution_id: str) -> dict[str, Any]:
    """The check of a paused execution's resume form (its paused task run's `onResume` inputs). Before the
    check of a flow's run form, whose pattern it would match: the more literal path wins, as in Kestra."""
    flow, declared = app.current().services.executions.resume_inputs(execution_id)
    return _validation(flow, declared)


@router.post("/executions/<namespace>/<flow_id>/validate")
def validate_inputs(namespace: str, flow_id: str) -> dict[str, Any]:
    """Kestra's check of a run form before it is sent: each input enabled or not (`dependsOn`), its value
    or default, and its errors. Files are not stored: a file sent counts as a value."""
    revision = query_int(router.current_event, "revision")
    flow = app.current().services.catalog.graph(namespace, flow_id, revision).flow
    return _validation(flow, flow.inputs or ())


def _validation(flow: Flow, declared: Sequence[Input]) -> dict[str, Any]:
    """Kestra's ApiValidateExecutionInputsResponse of the request's form against `declared`."""
    submitted = form(router.current_event)
    supplied: dict[str, Any] = dict(submitted.fields)
    for input_id, upload in submitted.files.items():
        supplied[input_id] = f"kestra:///validation/inputs/{input_id}/{upload.name or input_id}"
    condition = app.current().services.executions.engine.input_condition(flow)
    states = input_states(declared, supplied, condition=condition)
    return {
        "id": flow.id,
        "namespace": flow.namespace,
        "inputs": [
            {
                "input": state.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
                "value": state.value,
                "enabled": state.enabled,
                "isDefault": state.is_default,
                "errors": [{"message": line} for line in str(state.error).splitlines()]
                if state.error
                else [],
            }
            for state in states
        ],
        "checks": [],
    }
