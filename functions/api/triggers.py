"""Triggers as Kestra's `/triggers` routes list them. Read-only for now: what a flow declares, with no
scheduling state (disabling, unlocking, deleting and backfills come with the trigger state store of
issue 14)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.flow.model import Flow, Trigger
from functions import app
from functions.api import shapes
from functions.api.requests import filter_value, query, query_int, within

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _entry(flow: Flow, trigger: Trigger) -> dict[str, Any]:
    definition = trigger.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {
        "abstractTrigger": definition,
        "triggerContext": {
            "tenantId": "main",
            "namespace": flow.namespace,
            "flowId": flow.id,
            "triggerId": trigger.id,
            "disabled": bool(trigger.disabled or flow.disabled),
            "date": None,
            "nextExecutionDate": None,
        },
    }


def _triggers(namespace: str | None, flow_id: str | None) -> list[dict[str, Any]]:
    services = app.current().services
    entries = []
    for record in services.flows.repository.list(namespace):
        if flow_id is not None and record.id != flow_id:
            continue
        flow = services.catalog.graph(record.namespace, record.id, record.revision).flow
        entries += [_entry(flow, trigger) for trigger in flow.triggers or ()]
    return entries


@router.get("/triggers/search")
def search_triggers() -> dict[str, Any]:
    event = router.current_event
    namespace = filter_value(event, "namespace")
    found = [
        entry
        for entry in _triggers(None, filter_value(event, "flowId"))
        if within(entry["triggerContext"]["namespace"], namespace)
    ]
    text = (query(event, "q") or "").lower()
    found = [e for e in found if text in e["triggerContext"]["triggerId"].lower()]
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged(found, page, size)


@router.get("/triggers/<namespace>/<flow_id>")
def triggers_of_flow(namespace: str, flow_id: str) -> dict[str, Any]:
    app.current().services.catalog.record(namespace, flow_id)  # 404 for an unknown flow
    found = _triggers(namespace, flow_id)
    event = router.current_event
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged(found, page, size)
