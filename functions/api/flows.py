"""Flows: Kestra's `/api/v1/[main/]flows` routes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.flow.loader import InvalidFlowError, decode_source, parse_flow
from engine.flow.model import Flow
from engine.flow.source_edits import with_disabled
from engine.flow.topology import flow_graph
from engine.model.yaml_text import YamlError, load_yaml_text
from engine.ports import FlowRecord
from engine.services.app import Services
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.query_filters import Filters, Resource
from functions.api.requests import body_bytes, form, json_body, query, query_bool, query_int
from functions.api.sorting import sorted_by

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _source() -> str:
    text = decode_source(body_bytes(router.current_event), "flow")
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
            namespace, flow_id = _identity(text)
            entry.update(flow=flow_id, namespace=namespace)
            entry["constraints"] = "\n".join(str(p) for p in exc.problems)
        results.append(entry)
    return results


@router.get("/flows/search")
def search_flows() -> dict[str, Any]:
    event = router.current_event
    records = sorted_by(event, sorted(_queried(), key=lambda r: (r.namespace, r.id)), _SORTS)
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged([shapes.flow(r, source=False) for r in records], page, size)


@router.get("/flows/distinct-namespaces")
def distinct_namespaces() -> list[str]:
    text = (query(router.current_event, "q") or "").lower()
    names = {record.namespace for record in app.current().services.flows.repository.list()}
    return sorted(name for name in names if text in name.lower())


@router.post("/flows/export/by-ids")
def export_by_ids() -> Response[bytes]:
    """A zip of the flows' YAML sources, one `namespace.id.yml` each."""
    wanted = _ids_body()
    repository = app.current().services.flows.repository
    records = [r for ns, flow_id in wanted if (r := repository.get(ns, flow_id)) is not None]
    return _zip(records)


@router.get("/flows/export/by-query")
def export_by_query() -> Response[bytes]:
    return _zip(_queried())


@router.post("/flows/import")
def import_flows() -> list[str]:
    """Flows from a zip of YAML files or one YAML file (several documents): each deployed; the ids of those
    that are invalid are answered (or, with `failOnError`, a 422 and nothing deployed)."""
    upload = form(router.current_event).files.get("fileUpload")
    if upload is None:
        raise ApiError(422, "Invalid entity: fileUpload: a file part is required")
    if upload.content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(upload.content)) as archive:
            sources = [archive.read(m).decode() for m in archive.infolist() if not m.is_dir()]
    else:
        sources = _documents(upload.content.decode())
    services = app.current().services
    invalid, valid = [], []
    for index, source in enumerate(sources):
        try:
            parse_flow(source, f"flow[{index}]", services.flows.plugin_defaults)
            valid.append(source)
        except InvalidFlowError as exc:
            namespace, flow_id = _identity(source)
            name = f"{namespace}.{flow_id}" if flow_id else str(index)
            invalid.append((name, exc))
    if invalid and query_bool(router.current_event, "failOnError"):
        problems = [str(p) for _, exc in invalid for p in exc.problems]
        raise ApiError(422, "Invalid entity: " + "; ".join(problems), problems)
    for source in valid:
        services.flows.deploy(source, "flow")
    return [name for name, _ in invalid]


@router.post("/flows/disable/by-ids")
def disable_by_ids() -> dict[str, Any]:
    return _set_disabled(_ids_body(), disabled=True)


@router.post("/flows/enable/by-ids")
def enable_by_ids() -> dict[str, Any]:
    return _set_disabled(_ids_body(), disabled=False)


@router.post("/flows/disable/by-query")
def disable_by_query() -> dict[str, Any]:
    return _set_disabled(_by_query(), disabled=True)


@router.post("/flows/enable/by-query")
def enable_by_query() -> dict[str, Any]:
    return _set_disabled(_by_query(), disabled=False)


@router.delete("/flows/delete/by-ids")
def delete_by_ids() -> dict[str, Any]:
    flows = app.current().services.flows
    count = 0
    for namespace, flow_id in _ids_body():
        if flows.repository.get(namespace, flow_id) is not None:
            flows.delete(namespace, flow_id)
            count += 1
    return {"count": count}


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


@router.get("/flows/<namespace>/<flow_id>/graph")
def flow_topology(namespace: str, flow_id: str) -> dict[str, Any]:
    """The flow's topology (Kestra's FlowGraph), of a revision if asked."""
    services = app.current().services
    record = services.catalog.record(namespace, flow_id, query_int(router.current_event, "revision"))
    return flow_graph(services.catalog.graph(namespace, flow_id, record.revision).flow)


@router.post("/flows/graph")
def source_topology() -> dict[str, Any]:
    """The topology of a flow not saved yet (the editor's): an invalid one is a 422 with its problems."""
    return flow_graph(parse_flow(_source(), "flow", app.current().services.flows.plugin_defaults))


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
    services.flows.delete(namespace, flow_id)
    return shapes.no_content()


@router.get("/flows/<namespace>/<flow_id>/revisions")
def list_revisions(namespace: str, flow_id: str) -> list[dict[str, Any]]:
    repository = app.current().services.flows.repository
    latest = app.current().services.catalog.record(namespace, flow_id)
    records = (repository.get(namespace, flow_id, revision) for revision in range(1, latest.revision + 1))
    return [shapes.flow(record) for record in records if record is not None]


@router.post("/flows/<namespace>")
def update_namespace(namespace: str) -> list[dict[str, Any]]:
    """Kestra's `flow namespace update`: the body's flows (YAML documents) become the namespace's, all
    or none; with `delete` (the default) the namespace's other flows are deleted."""
    services = app.current().services
    sources = _documents(_source())
    problems, parsed = [], []
    for index, source in enumerate(sources):
        try:
            flow = parse_flow(source, f"flow[{index}]", services.flows.plugin_defaults)
        except InvalidFlowError as exc:
            problems += [str(p) for p in exc.problems]
            continue
        if flow.namespace != namespace:
            problems.append(f"flow[{index}]: namespace '{flow.namespace}' is not '{namespace}'")
        parsed.append((flow, source))
    if problems:
        raise ApiError(422, "Invalid entity: " + "; ".join(problems), problems)
    records = [services.flows.deploy(source, "flow")[0] for _, source in parsed]
    if (query(router.current_event, "delete") or "true").lower() == "true":
        kept = {flow.id for flow, _ in parsed}
        for record in services.flows.repository.list(namespace):
            if record.id not in kept:
                services.flows.delete(namespace, record.id)
    return [shapes.flow(record, source=False) for record in records]


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


def _set_disabled(ids: list[tuple[str, str]], *, disabled: bool) -> dict[str, Any]:
    """A new revision of each flow with `disabled` set (Kestra's BulkResponse: how many changed)."""
    services = app.current().services
    count = 0
    for namespace, flow_id in ids:
        record = services.flows.repository.get(namespace, flow_id)
        if record is None:
            continue
        edited = with_disabled(record.source, disabled)
        if services.flows.deploy(edited, "flow")[0].revision != record.revision:
            count += 1
    return {"count": count}


_SORTS: dict[str, Callable[[FlowRecord], str]] = {"id": lambda r: r.id, "namespace": lambda r: r.namespace}


def _queried() -> list[FlowRecord]:
    """The flows the query's filters name (functions/api/query_filters.py), all of them without any."""
    filters = Filters.of(router.current_event, Resource.FLOW)
    services = app.current().services
    return [
        record
        for record in services.flows.repository.list()
        if filters.flow(record.namespace, record.id)
        and filters.query(record.id, record.namespace)
        # Labels are in the source: a flow is read only when a filter asks for them.
        and (not filters.on("labels") or filters.labels(dict(_flow(services, record).label_pairs())))
    ]


def _flow(services: Services, record: FlowRecord) -> Flow:
    return services.catalog.graph(record.namespace, record.id, record.revision).flow


def _by_query() -> list[tuple[str, str]]:
    return [(record.namespace, record.id) for record in _queried()]


def _ids_body() -> list[tuple[str, str]]:
    body = json_body(router.current_event, [])
    if not isinstance(body, list) or not all(
        isinstance(i, dict) and {"namespace", "id"} <= set(i) for i in body
    ):
        raise ApiError(422, "Invalid entity: the body must be a list of {namespace, id}")
    return [(str(item["namespace"]), str(item["id"])) for item in body]


def _zip(records: list[FlowRecord]) -> Response[bytes]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(f"{record.namespace}.{record.id}.yml", record.source)
    return Response(
        200,
        "application/octet-stream",
        buffer.getvalue(),
        headers={"Content-Disposition": 'attachment; filename="flows.zip"'},
    )


def _identity(source: str) -> tuple[str | None, str | None]:
    """The namespace and id an invalid flow's source declares, when it says."""
    try:
        document = load_yaml_text(source)
    except YamlError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    namespace, flow_id = document.get("namespace"), document.get("id")
    return (str(namespace) if namespace else None), (str(flow_id) if flow_id else None)
