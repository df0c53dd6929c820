"""Kite's records in the JSON shapes Kestra's API returns (and `kestrapy`'s models read)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from engine.flow.document import read_document
from engine.flow.graph import FlowGraph
from engine.model.execution import Execution
from engine.model.logs import LogEntry
from engine.model.serde import execution_to_json, header_to_json, log_to_json
from engine.ports import FlowRecord
from engine.task_api import ExecutableTask, TaskBase


def flow(record: FlowRecord, *, source: bool = True) -> dict[str, Any]:
    """A flow as authored, with its revision: Kestra's FlowWithSource."""
    document = read_document(record.source, record.document)
    data: dict[str, Any] = dict(document) if isinstance(document, dict) else {}
    labels = data.get("labels")
    if isinstance(labels, dict):
        data["labels"] = [{"key": str(k), "value": str(v)} for k, v in labels.items()]
    data.update(
        id=record.id,
        namespace=record.namespace,
        revision=record.revision,
        disabled=bool(data.get("disabled", False)),
        deleted=record.deleted,
    )
    if source:
        data["source"] = record.source
    return data


def flow_for_execution(graph: FlowGraph) -> dict[str, Any]:
    """Kestra's FlowForExecution: what an execution's page needs of its flow, each task as its id, its type,
    its children (a flowable's), its `onResume` inputs (a Pause) and the flow it calls (a subflow)."""
    value = graph.flow
    data = value.model_dump(
        mode="json",
        by_alias=True,
        exclude_none=True,
        include={"id", "namespace", "description", "inputs", "outputs", "disabled"},
    )
    for name, tasks in value.root_lists():
        data[name] = [_task_for_execution(task) for task in tasks]
    data["triggers"] = [{"id": trigger.id, "type": trigger.type} for trigger in value.triggers or ()]
    return {**data, "revision": graph.revision, "deleted": False}


def _task_for_execution(task: TaskBase) -> dict[str, Any]:
    data: dict[str, Any] = {"id": task.id, "type": task.type}
    children = [child for _, tasks in task.child_lists() for child in tasks]
    if children:
        data["tasks"] = [_task_for_execution(child) for child in children]
    inputs = task.resume_inputs()
    if inputs:
        data["inputs"] = [i.model_dump(mode="json", by_alias=True, exclude_none=True) for i in inputs]
    target = task.target() if isinstance(task, ExecutableTask) else None
    if target is not None:
        data["subflowId"] = {"namespace": target[0], "flowId": target[1]}
    return data


def execution(value: Execution, *, task_runs: bool = True) -> dict[str, Any]:
    data = execution_to_json(value) if task_runs else header_to_json(value)
    data["deleted"] = False
    return data


_SUMMARY = ("id", "namespace", "flowId", "flowRevision", "trigger", "outputs", "labels", "state")


def webhook_execution(value: Execution) -> dict[str, Any]:
    """What Kestra answers a webhook call with: the execution's summary."""
    header = header_to_json(value)
    return {
        "tenantId": "main",
        **{
            k: header[k]
            for k in ("id", "namespace", "flowId", "flowRevision", "trigger", "outputs", "labels", "state")
        },
        "url": f"/ui/main/executions/{value.namespace}/{value.flow_id}/{value.id}",
    }


def no_content() -> Response[str]:
    return Response(204, content_types.TEXT_PLAIN, "")


def paged(results: Sequence[Any], page: int, size: int) -> dict[str, Any]:
    """Kestra's PagedResults: one page (1-based) and the total."""
    start = (page - 1) * size
    return {"results": list(results[start : start + size]), "total": len(results)}


def log(entry: LogEntry, namespace: str, flow_id: str) -> dict[str, Any]:
    data = log_to_json(entry)
    data.setdefault("namespace", namespace)
    data.setdefault("flowId", flow_id)
    return data
