"""The Webhook trigger (spec part 1 §9.3): which trigger a call's key opens, what `trigger.*` it sees, and
whether its conditions let an execution be created. The service creates it; the API answers."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from msgspec import Struct, field

from engine.creation.conditions import ConditionContext, ConditionError, holds
from engine.creation.trigger_states import NONE, Overrides, extra, is_disabled
from engine.expressions import ExpressionError, Renderer, RenderServices
from engine.flow.model import Flow, Trigger
from engine.flow.trigger_types import WEBHOOK_TYPES

KEY_MAX_LENGTH = 256


class WebhookError(ValueError):
    """The trigger cannot be honoured as written (a condition type Kite does not evaluate, a bad key)."""


class WebhookCall(Struct, frozen=True):
    """An HTTP call on a webhook URL, as the trigger's variables see it."""

    body: bytes = b""
    headers: Mapping[str, Sequence[str]] = field(default_factory=dict)
    parameters: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def variables(self) -> dict[str, Any]:
        """`trigger.body` (a JSON object or array when it parses, else the text, null when empty),
        `trigger.headers` and `trigger.parameters` (name → list of values)."""
        return {
            "body": parse_body(self.body),
            "headers": {name: list(values) for name, values in self.headers.items()},
            "parameters": {name: list(values) for name, values in self.parameters.items()},
        }


def parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed if isinstance(parsed, dict | list) else text


def webhook_triggers(flow: Flow, overrides: Overrides = NONE) -> list[Trigger]:
    """The flow's enabled Webhook triggers (a disabled one answers as if absent: spec part 2 §6.3)."""
    return [t for t in flow.triggers or () if t.type in WEBHOOK_TYPES and not is_disabled(flow, t, overrides)]


def matching(
    flow: Flow, key: str, renderer: Renderer, services: RenderServices, overrides: Overrides = NONE
) -> Trigger | None:
    """The trigger whose rendered, trimmed key is `key`, compared in constant time; every trigger's key is
    compared, so timing does not tell which came close."""
    found: Trigger | None = None
    for trigger in webhook_triggers(flow, overrides):
        template = extra(trigger).get("key")
        if not isinstance(template, str) or not template:
            raise WebhookError(f"Webhook trigger '{trigger.id}' has no key")
        try:
            expected = renderer.render(template, _flow_variables(flow), services).strip()
        except ExpressionError as exc:
            raise WebhookError(f"Webhook trigger '{trigger.id}': cannot render its key: {exc}") from None
        if len(expected) > KEY_MAX_LENGTH:
            raise WebhookError(f"Webhook trigger '{trigger.id}': its key is longer than {KEY_MAX_LENGTH}")
        if hmac.compare_digest(expected.encode(), key.encode()) and found is None:
            found = trigger
    return found


def conditions_hold(
    flow: Flow, trigger: Trigger, variables: Mapping[str, Any], renderer: Renderer, services: RenderServices
) -> bool:
    """Every condition of the trigger true (AND)."""
    context = ConditionContext({**_flow_variables(flow), "trigger": dict(variables)}, renderer, services)
    try:
        return holds(extra(trigger).get("conditions"), context)
    except ConditionError as exc:
        raise WebhookError(f"Webhook trigger '{trigger.id}': {exc}") from None


def rendered_inputs(
    flow: Flow, trigger: Trigger, variables: Mapping[str, Any], renderer: Renderer, services: RenderServices
) -> dict[str, Any]:
    inputs = extra(trigger).get("inputs") or {}
    if not isinstance(inputs, Mapping):
        raise WebhookError(f"Webhook trigger '{trigger.id}': inputs must be a map")
    context = {**_flow_variables(flow), "trigger": dict(variables)}
    return {str(k): renderer.render_value(v, context, services) for k, v in inputs.items()}


def _flow_variables(flow: Flow) -> dict[str, Any]:
    return {"flow": {"id": flow.id, "namespace": flow.namespace}}
