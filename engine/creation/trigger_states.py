"""What every trigger kind reads of a trigger: its own properties, and whether it is disabled (as its flow
says, unless the triggers API said otherwise)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.flow.model import Flow, Trigger

# (namespace, flow id, trigger id) → disabled, as set through the API.
Overrides = Mapping[tuple[str, str, str], bool]
NONE: Overrides = {}


def is_disabled(flow: Flow, trigger: Trigger, overrides: Overrides = NONE) -> bool:
    return overrides.get((flow.namespace, flow.id, trigger.id), trigger.disabled)


def extra(trigger: Trigger) -> dict[str, Any]:
    """The trigger's own properties (the model keeps them as extras)."""
    return dict(trigger.model_extra or {})
