"""Flows: Kestra's `/api/v1/[main/]flows` routes."""

from __future__ import annotations

from typing import Any

import yaml
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.flow.loader import InvalidFlowError, parse_flow
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.requests import body_bytes, filter_value, query, query_int

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _source() -> str:
    text = body_bytes(router.current_event).decode()
    if not text.strip():
        raise ApiError(422, "Invalid entity: the request body must be a flow in YAML", ["empty body"])
    return text


@router.post("/flows/validate")
def validate_flows() -> list[dict[str, Any]]:
    """Each YAML document of the body, with its violations (Kestra's ValidateConstraintViolation)."""
    results = []
    for index, text in enumerate(_documents(_source())):
        entry: dict[str, Any] = {"index": index, "outdated": False, "deprecationPaths": [], "warnings": []}
        try:
            parsed = parse_flow(text, f"flow[{index}]", app.current().services.flows.plugin_defaults)
            entry.update(flow=parsed.id, namespace=parsed.namespace)
        except InvalidFlowError as exc:
            document = yaml.safe_load(text) if text.strip() else None
            if isinstance(document, dict):
                entry.update(flow=document.get("id"), namespace=document.get("namespace"))
            entry["constraints"] = "\n".join(str(p) for p in exc.problems)
        results.append(entry)
    return results


@router.get("/flows/search")
def search_flows() -> dict[str, Any]:
    event = router.current_event
    namespace = filter_value(event, "namespace")
    text = (query(event, "q") or filter_value(event, "q") or "").lower()
    records = [
        record
        for record in app.current().services.flows.repository.list()
        if (
            namespace is None or record.namespace == namespace or record.namespace.startswith(namespace + ".")
        )
        if not text or text in record.id.lower() or text in record.namespace.lower()
    ]
    records.sort(key=lambda r: (r.namespace, r.id))
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged([shapes.flow(r, source=False) for r in records], page, size)


@router.get("/flows/distinct-namespaces")
def distinct_namespaces() -> list[str]:
    text = (query(router.current_event, "q") or "").lower()
    names = {record.namespace for record in app.current().services.flows.repository.list()}
    return sorted(name for name in names if text in name.lower())


@router.post("/flows")
def create_flow() -> dict[str, Any]:
    services = app.current().services
    source = _source()
    parsed = parse_flow(source, "flow", services.flows.plugin_defaults)
    if services.flows.repository.get(parsed.namespace, parsed.id) is not None:
        message = f"Flow id '{parsed.namespace}.{parsed.id}' already exists"
        raise ApiError(422, f"Invalid entity: flow.id: {message}", [message])
    record, _ = services.flows.deploy(source, "flow")
    return shapes.flow(record)


@router.get("/flows/<namespace>/<flow_id>")
def get_flow(namespace: str, flow_id: str) -> dict[str, Any]:
    revision = query_int(router.current_event, "revision")
    return shapes.flow(app.current().services.catalog.record(namespace, flow_id, revision))


@router.put("/flows/<namespace>/<flow_id>")
def update_flow(namespace: str, flow_id: str) -> dict[str, Any]:
    services = app.current().services
    services.catalog.record(namespace, flow_id)  # 404 when there is none to update
    source = _source()
    parsed = parse_flow(source, "flow", services.flows.plugin_defaults)
    if (parsed.namespace, parsed.id) != (namespace, flow_id):
        message = f"Illegal flow id update: the body is '{parsed.namespace}.{parsed.id}'"
        raise ApiError(422, f"Invalid entity: flow.id: {message}", [message])
    record, _ = services.flows.deploy(source, "flow")
    return shapes.flow(record)


@router.delete("/flows/<namespace>/<flow_id>")
def delete_flow(namespace: str, flow_id: str) -> Response[str]:
    services = app.current().services
    services.catalog.record(namespace, flow_id)
    services.flows.repository.delete(namespace, flow_id)
    return Response(204, content_types.TEXT_PLAIN, "")


@router.get("/flows/<namespace>")
def list_flows_by_namespace(namespace: str) -> list[dict[str, Any]]:
    records = app.current().services.flows.repository.list(namespace)
    return [shapes.flow(record, source=False) for record in sorted(records, key=lambda r: r.id)]


def _documents(text: str) -> list[str]:
    """The YAML documents of a body that may hold several flows (`---` between them)."""
    parts: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---":
            parts.append("".join(current))
            current = []
        else:
            current.append(line)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]
