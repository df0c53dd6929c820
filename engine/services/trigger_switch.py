"""Enabling and disabling a flow's trigger without a new revision of the flow (the triggers API, the
`trigger.Toggle` task). Enabled again, a schedule recovers what it missed as its recoverMissedSchedules
says (Kestra 1.3.4's corrected behaviour)."""

from __future__ import annotations

from msgspec import Struct

from engine.model.serde import format_instant
from engine.ports import MessageBus, TriggerStateStore
from engine.resources import Clock, NotFoundError
from engine.services import messages
from engine.services.catalog import FlowCatalog
from engine.services.messages import Tick, TickMode


class TriggerSwitch(Struct, frozen=True):
    catalog: FlowCatalog
    states: TriggerStateStore
    bus: MessageBus
    clock: Clock

    def set_enabled(self, namespace: str, flow_id: str, trigger_id: str, enabled: bool) -> None:
        try:
            flow = self.catalog.graph(namespace, flow_id).flow
        except NotFoundError:
            raise NotFoundError(f"Unable to find flow {namespace}.{flow_id}") from None
        if all(trigger.id != trigger_id for trigger in flow.triggers or ()):
            raise NotFoundError(f"Unable to find trigger {trigger_id} for the flow {namespace}.{flow_id}")
        self.states.set_disabled(namespace, flow_id, trigger_id, not enabled)
        if enabled:
            self.recover(namespace, flow_id, [trigger_id])

    def recover(self, namespace: str, flow_id: str, trigger_ids: list[str]) -> None:
        """Have the schedules among these triggers look at what they missed (others ignore the tick)."""
        now = format_instant(self.clock.now())
        ticks = [Tick(namespace, flow_id, trigger_id, TickMode.RECOVER) for trigger_id in trigger_ids]
        self.bus.send([messages.schedule_tick(tick, f"recover-{now}") for tick in ticks])
