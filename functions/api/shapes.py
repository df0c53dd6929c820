"""Kite's records in the JSON shapes Kestra's API returns (and `kestrapy`'s models read)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from engine.flow.document import read_document
from engine.model.execution import Execution
from engine.model.logs import LogEntry
from engine.model.serde import execution_to_json, header_to_json, log_to_json
from engine.ports import FlowRecord


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
