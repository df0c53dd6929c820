"""What every trigger kind reads of a trigger: its own properties, whether it is disabled (as its flow
says, unless the triggers API said otherwise), and its labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.expressions import ExpressionError, Renderer, RenderServices
from engine.flow.model import Flow, Trigger

# (namespace, flow id, trigger id) → disabled, as set through the API.
Overrides = Mapping[tuple[str, str, str], bool]
NONE: Overrides = {}


def is_disabled(flow: Flow, trigger: Trigger, overrides: Overrides = NONE) -> bool:
    return overrides.get((flow.namespace, flow.id, trigger.id), trigger.disabled)


def extra(trigger: Trigger) -> dict[str, Any]:
    """The trigger's own properties (the model keeps them as extras)."""
    return dict(trigger.model_extra or {})


def trigger_labels(
    trigger: Trigger, variables: Mapping[str, Any], renderer: Renderer, services: RenderServices
) -> list[tuple[str, str]]:
    """The trigger's labels rendered with `trigger.*`; one that fails to render is left out (spec part 1
    §9.1)."""
    labels = extra(trigger).get("labels") or {}
    pairs = (
        labels.items()
        if isinstance(labels, dict)
        else ((item.get("key"), item.get("value")) for item in labels if isinstance(item, dict))
    )
    rendered = []
    for name, value in pairs:
        try:
            text = renderer.render(str(value), {"trigger": dict(variables)}, services)
        except ExpressionError:
            continue
        rendered.append((str(name), text))
    return rendered
