"""The HTTP polling trigger (`io.kestra.plugin.core.http.Trigger`): at each evaluation, one request; an
execution when `responseCondition` holds on the response, with the response as `trigger.*` (Kestra's
Request output: uri, code, headers, body)."""

from __future__ import annotations

from typing import Any

from engine.creation.conditions import ConditionContext, ConditionError, holds
from engine.creation.trigger_states import extra
from engine.executor.context import EngineContext
from engine.expressions import ExpressionError, is_truthy
from engine.flow.model import Flow, Trigger
from engine.resources import HttpError
from engine.runtime.port_services import Scope

DEFAULT_CONDITION = "{{ response.statusCode < 400 }}"
TIMEOUT_S = 10.0


def poll(
    flow: Flow, trigger: Trigger, engine: EngineContext
) -> tuple[dict[str, Any], None] | tuple[None, str]:
    """`trigger.*` of the execution to start, or why there is none."""
    properties = extra(trigger)
    services = engine.port_services(Scope.of(flow.namespace, flow.id, "", None))
    context = engine.config.variables()
    try:
        uri = engine.renderer.render(str(properties.get("uri")), context, services)
        headers = {
            str(name): str(value)
            for name, value in engine.renderer.render_value(
                properties.get("headers") or {}, context, services
            ).items()
        }
        body = properties.get("body")
        content = engine.renderer.render(str(body), context, services).encode() if body is not None else None
    except ExpressionError as exc:
        return None, f"cannot render the request: {exc}"
    if properties.get("contentType"):
        headers.setdefault("Content-Type", str(properties["contentType"]))
    method = str(properties.get("method") or "GET").upper()
    try:
        response = engine.resources.http.request(method, uri, headers, content, TIMEOUT_S)
    except HttpError as exc:
        return None, f"the request failed: {exc}"
    text = response.body.decode("utf-8", errors="replace")
    seen = {"response": {"statusCode": response.status, "body": text, "headers": response.headers}}
    condition = str(properties.get("responseCondition") or DEFAULT_CONDITION)
    try:
        if not is_truthy(engine.renderer.render(condition, {**context, **seen}, services)):
            return None, f"responseCondition is false (HTTP {response.status})"
    except ExpressionError as exc:
        return None, f"responseCondition: {exc}"
    variables = {
        "uri": uri,
        "code": response.status,
        "headers": {name: [value] for name, value in response.headers.items()},
        "body": text,
    }
    try:
        conditions = ConditionContext({**context, "trigger": variables}, engine.renderer, services)
        if not holds(properties.get("conditions"), conditions):
            return None, "skipped by its conditions"
    except ConditionError as exc:
        return None, f"cannot tell: {exc}"
    return variables, None
