"""Triggers as Kestra's `/triggers` routes list and change them: what a flow declares, disabled or enabled
through the API without a new revision of the flow (the trigger state store), and where a schedule
stands: its dates, the execution it waits for, its backfill. Flow and Webhook triggers never lock, so only
a schedule has anything to unlock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.creation.trigger_states import Overrides, is_disabled
from engine.flow.model import Flow, Trigger
from engine.flow.schedule import ON_DATES_TYPES, SCHEDULE_TYPES, ScheduleError
from engine.ports import ScheduleState
from engine.resources import NotFoundError
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.query_filters import Filters, Resource
from functions.api.requests import json_body, query, query_int

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _entry(flow: Flow, trigger: Trigger, overrides: Overrides) -> dict[str, Any]:
    definition = trigger.model_dump(mode="json", by_alias=True, exclude_none=True)
    context = {
        "tenantId": "main",
        "namespace": flow.namespace,
        "flowId": flow.id,
        "triggerId": trigger.id,
        "disabled": bool(is_disabled(flow, trigger, overrides) or flow.disabled),
        "date": None,
        "nextExecutionDate": None,
    }
    if trigger.type in SCHEDULE_TYPES | ON_DATES_TYPES:
        state = app.current().services.schedules.state(flow.namespace, flow.id, trigger.id)
        if state is not None:
            context |= _schedule_context(state)
    return {"abstractTrigger": definition, "triggerContext": context}


def _schedule_context(state: ScheduleState) -> dict[str, Any]:
    backfill = state.backfill
    return {
        "date": _date(state.date),
        "nextExecutionDate": _date(state.next),
        "executionId": state.execution_id,
        "backfill": None
        if backfill is None
        else {
            "start": backfill.start.isoformat(),
            "end": _date(backfill.end),
            "currentDate": backfill.current.isoformat(),
            "paused": backfill.paused,
            "inputs": dict(backfill.inputs),
            "labels": [{"key": k, "value": v} for k, v in backfill.labels],
        },
    }


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


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
    found = _searched()
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged(found, page, size)


def _searched() -> list[dict[str, Any]]:
    """The triggers the query's filters name (functions/api/query_filters.py)."""
    filters = Filters.of(router.current_event, Resource.TRIGGER)
    found = []
    for entry in _triggers(None, filters.equal("flowId")):
        context = entry["triggerContext"]
        namespace, flow_id, trigger_id = context["namespace"], context["flowId"], context["triggerId"]
        if (
            filters.flow(namespace, flow_id)
            and filters.text("triggerId", trigger_id)
            and filters.query(trigger_id, flow_id, namespace)
        ):
            found.append(entry)
    return found


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
    found = [entry["triggerContext"] for entry in _searched()]
    keys = [(c["namespace"], c["flowId"], c["triggerId"]) for c in found]
    return _set_disabled(keys, disabled=disabled == "true")


@router.post("/triggers/<namespace>/<flow_id>/<trigger_id>/unlock")
def unlock(namespace: str, flow_id: str, trigger_id: str) -> dict[str, Any]:
    """A schedule waiting for an execution goes on without it."""
    trigger = _trigger(namespace, flow_id, trigger_id)
    schedules = app.current().services.schedules
    state = schedules.state(namespace, flow_id, trigger_id) if _is_schedule(trigger) else None
    if state is None or state.execution_id is None:
        raise ApiError(409, "Trigger is not locked")
    return _context(namespace, flow_id, trigger_id, schedules.unlock(namespace, flow_id, trigger_id))


@router.post("/triggers/<namespace>/<flow_id>/<trigger_id>/restart")
def restart(namespace: str, flow_id: str, trigger_id: str) -> dict[str, Any]:
    """Look at the trigger again now (a schedule recovers what it missed)."""
    _trigger(namespace, flow_id, trigger_id)
    services = app.current().services
    services.schedules.recover(namespace, flow_id, [trigger_id])
    state = services.schedules.state(namespace, flow_id, trigger_id)
    return _context(namespace, flow_id, trigger_id, state)


@router.put("/triggers")
def update_trigger() -> dict[str, Any]:
    """Kestra's trigger update: `disabled`, and a `backfill` to start."""
    body = json_body(router.current_event, {})
    namespace, flow_id, trigger_id = _key(body)
    trigger = _trigger(namespace, flow_id, trigger_id)
    services = app.current().services
    if isinstance(body.get("disabled"), bool):
        _set_disabled([(namespace, flow_id, trigger_id)], disabled=body["disabled"])
    backfill = body.get("backfill")
    state = services.schedules.state(namespace, flow_id, trigger_id) if _is_schedule(trigger) else None
    if isinstance(backfill, dict):
        if not _is_schedule(trigger):
            raise ApiError(
                422, f"Invalid entity: trigger '{trigger_id}' is not a schedule: it cannot backfill"
            )
        state = _start_backfill(namespace, flow_id, trigger_id, backfill)
    return _context(namespace, flow_id, trigger_id, state)


@router.put("/triggers/backfill/pause")
def pause_backfill() -> dict[str, Any]:
    return _backfill_change(json_body(router.current_event, {}), "pause")


@router.put("/triggers/backfill/unpause")
def unpause_backfill() -> dict[str, Any]:
    return _backfill_change(json_body(router.current_event, {}), "unpause")


@router.post("/triggers/backfill/delete")
def delete_backfill() -> dict[str, Any]:
    return _backfill_change(json_body(router.current_event, {}), "delete")


@router.post("/triggers/backfill/<action>/by-triggers")
def backfill_by_triggers(action: str) -> dict[str, Any]:
    body = json_body(router.current_event, [])
    if not isinstance(body, list):
        raise ApiError(422, "Invalid entity: the body must be a list of triggers")
    for trigger in body:
        _backfill_change(trigger, action)
    return {"count": len(body)}


@router.post("/triggers/backfill/<action>/by-query")
def backfill_by_query(action: str) -> dict[str, Any]:
    """The backfills of the triggers the filters find (namespace, flowId)."""
    count = 0
    for entry in _searched():
        context = entry["triggerContext"]
        if context.get("backfill") is None:
            continue
        _backfill_change(context, action)
        count += 1
    return {"count": count}


def _backfill_change(body: Any, action: str) -> dict[str, Any]:
    namespace, flow_id, trigger_id = _key(body)
    _trigger(namespace, flow_id, trigger_id)
    schedules = app.current().services.schedules
    try:
        if action in ("pause", "unpause"):
            state = schedules.pause_backfill(namespace, flow_id, trigger_id, paused=action == "pause")
        elif action == "delete":
            state = schedules.delete_backfill(namespace, flow_id, trigger_id)
        else:
            raise NotFoundError(f"No backfill action {action}")
    except ScheduleError as exc:
        raise ApiError(422, f"Invalid entity: {exc}") from None
    return _context(namespace, flow_id, trigger_id, state)


def _start_backfill(namespace: str, flow_id: str, trigger_id: str, backfill: dict[str, Any]) -> ScheduleState:
    try:
        start = datetime.fromisoformat(str(backfill.get("start")))
        end = datetime.fromisoformat(str(backfill["end"])) if backfill.get("end") else None
    except ValueError:
        raise ApiError(422, "Invalid entity: backfill start and end must be ISO-8601 dates") from None
    labels = backfill.get("labels") or []
    pairs = labels.items() if isinstance(labels, dict) else ((x.get("key"), x.get("value")) for x in labels)
    try:
        return app.current().services.schedules.backfill(
            namespace,
            flow_id,
            trigger_id,
            start=start if start.tzinfo else start.replace(tzinfo=UTC),
            end=end if end is None or end.tzinfo else end.replace(tzinfo=UTC),
            inputs=dict(backfill.get("inputs") or {}),
            labels=tuple((str(k), str(v)) for k, v in pairs),
            paused=bool(backfill.get("paused")),
        )
    except ScheduleError as exc:
        raise ApiError(422, f"Invalid entity: {exc}") from None


def _key(body: Any) -> tuple[str, str, str]:
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) for k in ("namespace", "flowId", "triggerId")
    ):
        raise ApiError(422, "Invalid entity: a trigger needs namespace, flowId and triggerId")
    return body["namespace"], body["flowId"], body["triggerId"]


def _context(namespace: str, flow_id: str, trigger_id: str, state: ScheduleState | None) -> dict[str, Any]:
    services = app.current().services
    flow = services.catalog.graph(namespace, flow_id).flow
    trigger = _trigger(namespace, flow_id, trigger_id)
    context: dict[str, Any] = _entry(flow, trigger, services.trigger_states.disabled())["triggerContext"]
    if state is not None:
        context |= _schedule_context(state)
    return context


def _is_schedule(trigger: Trigger) -> bool:
    return trigger.type in SCHEDULE_TYPES | ON_DATES_TYPES


@router.delete("/triggers/<namespace>/<flow_id>/<trigger_id>")
def delete_trigger(namespace: str, flow_id: str, trigger_id: str) -> Response[str]:
    """Forget what the API set: the flow's own `disabled` counts again."""
    _trigger(namespace, flow_id, trigger_id)
    app.current().services.trigger_states.forget(namespace, flow_id, trigger_id)
    return shapes.no_content()


def _set_disabled(keys: list[tuple[str, str, str]], *, disabled: bool) -> dict[str, Any]:
    for key in keys:
        _trigger(*key)
    triggers = app.current().services.triggers
    for namespace, flow_id, trigger_id in keys:
        triggers.set_enabled(namespace, flow_id, trigger_id, not disabled)
    return {"count": len(keys)}


def _trigger(namespace: str, flow_id: str, trigger_id: str) -> Trigger:
    """404 for a trigger no flow declares."""
    flow = app.current().services.catalog.graph(namespace, flow_id).flow
    for trigger in flow.triggers or ():
        if trigger.id == trigger_id:
            return trigger
    raise NotFoundError(f"Trigger '{trigger_id}' not found in flow '{namespace}.{flow_id}'")
