"""Triggers as Kestra's `/triggers` routes list and change them: what a flow declares, disabled or enabled
through the API without a new revision of the flow (the trigger state store). Kite's Flow and Webhook
triggers never lock, so there is nothing to unlock; schedules and backfills come with issue 14."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.creation.trigger_states import Overrides, is_disabled
from engine.flow.model import Flow, Trigger
from engine.resources import NotFoundError
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.requests import filter_value, json_body, query, query_int, within

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _entry(flow: Flow, trigger: Trigger, overrides: Overrides) -> dict[str, Any]:
    definition = trigger.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {
        "abstractTrigger": definition,
        "triggerContext": {
            "tenantId": "main",
            "namespace": flow.namespace,
            "flowId": flow.id,
            "triggerId": trigger.id,
            "disabled": bool(is_disabled(flow, trigger, overrides) or flow.disabled),
            "date": None,
            "nextExecutionDate": None,
        },
    }


def _triggers(namespace: str | None, flow_id: str | None) -> list[dict[str, Any]]:
    services = app.current().services
    overrides = services.trigger_states.disabled()
    entries = []
    for record in services.flows.repository.list(namespace):
        if flow_id is not None and record.id != flow_id:
            continue
        flow = services.catalog.graph(record.namespace, record.id, record.revision).flow
        entries += [_entry(flow, trigger, overrides) for trigger in flow.triggers or ()]
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


@router.post("/triggers/set-disabled/by-triggers")
def set_disabled_by_triggers() -> dict[str, Any]:
    """Body `{triggers: [{namespace, flowId, triggerId}], disabled}`."""
    body = json_body(router.current_event, {})
    triggers = body.get("triggers") if isinstance(body, dict) else None
    if not isinstance(triggers, list) or not isinstance(body.get("disabled"), bool):
        raise ApiError(422, "Invalid entity: the body needs triggers (a list) and disabled (a boolean)")
    keys = [(str(t.get("namespace")), str(t.get("flowId")), str(t.get("triggerId"))) for t in triggers]
    return _set_disabled(keys, disabled=body["disabled"])


@router.post("/triggers/set-disabled/by-query")
def set_disabled_by_query() -> dict[str, Any]:
    event = router.current_event
    disabled = query(event, "disabled")
    if disabled not in ("true", "false"):
        raise ApiError(422, "Invalid entity: disabled must be true or false")
    namespace = filter_value(event, "namespace")
    found = [
        entry["triggerContext"]
        for entry in _triggers(None, filter_value(event, "flowId"))
        if within(entry["triggerContext"]["namespace"], namespace)
    ]
    keys = [(c["namespace"], c["flowId"], c["triggerId"]) for c in found]
    return _set_disabled(keys, disabled=disabled == "true")


@router.post("/triggers/<namespace>/<flow_id>/<trigger_id>/unlock")
def unlock(namespace: str, flow_id: str, trigger_id: str) -> dict[str, Any]:
    _trigger(namespace, flow_id, trigger_id)
    raise ApiError(409, "Trigger is not locked")


@router.delete("/triggers/<namespace>/<flow_id>/<trigger_id>")
def delete_trigger(namespace: str, flow_id: str, trigger_id: str) -> Response[str]:
    """Forget what the API set: the flow's own `disabled` counts again."""
    _trigger(namespace, flow_id, trigger_id)
    app.current().services.trigger_states.forget(namespace, flow_id, trigger_id)
    return shapes.no_content()


def _set_disabled(keys: list[tuple[str, str, str]], *, disabled: bool) -> dict[str, Any]:
    for key in keys:
        _trigger(*key)
    states = app.current().services.trigger_states
    for namespace, flow_id, trigger_id in keys:
        states.set_disabled(namespace, flow_id, trigger_id, disabled)
    return {"count": len(keys)}


def _trigger(namespace: str, flow_id: str, trigger_id: str) -> Trigger:
    """404 for a trigger no flow declares."""
    flow = app.current().services.catalog.graph(namespace, flow_id).flow
    for trigger in flow.triggers or ():
        if trigger.id == trigger_id:
            return trigger
    raise NotFoundError(f"Trigger '{trigger_id}' not found in flow '{namespace}.{flow_id}'")
