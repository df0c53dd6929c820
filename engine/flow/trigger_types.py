"""Every trigger type Kite runs, by Kestra's names (legacy ones too): a flow naming another is refused when
it is saved, rather than kept with a trigger that never fires."""

from __future__ import annotations

from engine.flow.conditions import FLOW_TRIGGER_TYPES
from engine.flow.schedule import SCHEDULED_TYPES

WEBHOOK_TYPES = frozenset(
    {"io.kestra.plugin.core.trigger.Webhook", "io.kestra.core.models.triggers.types.Webhook"}
)
KNOWN_TRIGGER_TYPES = SCHEDULED_TYPES | FLOW_TRIGGER_TYPES | WEBHOOK_TYPES


def unknown_trigger(kind: str) -> str | None:
    """The message for a trigger type Kite does not run, or None."""
    if kind in KNOWN_TRIGGER_TYPES:
        return None
    known = ", ".join(sorted(t for t in KNOWN_TRIGGER_TYPES if not t.startswith("io.kestra.core.models.")))
    return f"Invalid type: {kind} (Kite's triggers are {known})"
