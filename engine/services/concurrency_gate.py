"""The concurrency gate of the dispatcher (spec part 2 §4.2, decision 0009).

Admission: before an execution starts (CREATED), or starts again (RESTARTED, or QUEUED and woken), it takes a
slot of its flow. A refused one is queued first and then asked again, so that a slot freed in between is
never missed. Release: once the execution is fully terminated its slot is given back and every free slot is
handed to the oldest waiting execution, which is woken. Slots are held by execution id, so every step may
run twice without counting anything twice.
"""

from __future__ import annotations

from msgspec import Struct

from engine.executor.events import Admission
from engine.flow.graph import FlowGraph
from engine.model.execution import Execution
from engine.model.state import StateType
from engine.ports import ConcurrencyStore, ExecutionStore, MessageBus
from engine.services import messages

S = StateType
_ASKS = (S.CREATED, S.QUEUED, S.RESTARTED)


def flow_key(execution: Execution) -> str:
    """Per flow, not per revision: all revisions share the slots."""
    return f"{execution.namespace}#{execution.flow_id}"


class ConcurrencyGate(Struct):
    slots: ConcurrencyStore
    store: ExecutionStore
    bus: MessageBus

    def admit(self, graph: FlowGraph, execution: Execution) -> Admission | None:
        limit = graph.flow.concurrency
        if limit is None or execution.state.current not in _ASKS:
            return None
        flow, queued_at = flow_key(execution), execution.state.start_date
        granted, running = self.slots.acquire(flow, execution.id, limit.limit)
        queued = execution.state.current == S.QUEUED
        if not granted and limit.behavior == "QUEUE" and not queued:
            self.slots.enqueue(flow, execution.id, queued_at)
            queued = True
            granted, running = self.slots.acquire(flow, execution.id, limit.limit)
        if granted and queued:
            self.slots.dequeue(flow, execution.id, queued_at)
        return Admission(granted, limit.behavior, running)

    def leave_queue(self, graph: FlowGraph, execution: Execution) -> None:
        """Out of the queue without a slot (unqueued or forced to run); leaving twice changes nothing."""
        if graph.flow.concurrency is not None:
            self.slots.dequeue(flow_key(execution), execution.id, execution.state.start_date)

    def release(self, graph: FlowGraph, execution: Execution) -> None:
        limit = graph.flow.concurrency
        if limit is None:
            return
        flow = flow_key(execution)
        self.slots.release(flow, execution.id)
        self.slots.dequeue(flow, execution.id, execution.state.start_date)  # killed while queued
        while waiting := self.slots.queued(flow, 1):
            queued_at, next_id = waiting[0]
            # Take the slot for it before leaving the queue: a crash in between leaves it first in line.
            granted, _ = self.slots.acquire(flow, next_id, limit.limit)
            if not granted:
                return
            stored = self.store.load(next_id)
            if stored is None or stored.execution.state.current.terminated:
                self.slots.release(flow, next_id)
            else:
                self.bus.send([messages.wake(next_id, f"dequeued-{execution.id}")])
            self.slots.dequeue(flow, next_id, queued_at)
