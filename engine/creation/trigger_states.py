"""Whether a trigger is disabled: as its flow says, unless the triggers API said otherwise."""

from __future__ import annotations

from collections.abc import Mapping

from engine.flow.model import Flow, Trigger

# (namespace, flow id, trigger id) → disabled, as set through the API.
Overrides = Mapping[tuple[str, str, str], bool]
NONE: Overrides = {}


def is_disabled(flow: Flow, trigger: Trigger, overrides: Overrides = NONE) -> bool:
    return overrides.get((flow.namespace, flow.id, trigger.id), trigger.disabled)
