"""The step dispatcher: load an execution, advance it, write it conditionally, then send the effects.

Faults it is built for (design §4, decision 0012): a message delivered twice (results merge idempotently),
a crash between the write and the send (the step's redelivered message sends again what its step wrote),
another step committing in between (it carries the pending messages instead of overwriting them), and two
steps racing on one execution (the conditional write fails for the loser, which reloads and applies its
events again).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime, timedelta

from msgspec import Struct, field

from engine.executor import batches, lifecycle
from engine.executor.advance import advance
from engine.executor.context import EngineContext
from engine.executor.events import (
    AdvanceResult,
    Continue,
    Event,
    ExecutionEnded,
    Kill,
    Notify,
    Poisoned,
    ReleaseSlot,
    RunTask,
    StartExecution,
    StartTimer,
    TimerFired,
    Unqueue,
)
from engine.flow.conditions import FLOW_TRIGGER_TYPES
from engine.flow.graph import FlowGraph
from engine.flow.schedule import ON_DATES_TYPES, SCHEDULE_TYPES
from engine.model.execution import Execution
from engine.model.serde import header_changed, task_run_to_json
from engine.model.state import StateType
from engine.model.values import to_json_value
from engine.ports import (
    Commit,
    ConcurrentModificationError,
    ExecutionStore,
    Message,
    MessageBus,
    OutboxEntry,
    QueueName,
    StoredExecution,
)
from engine.runtime.variables import worker_variables
from engine.services import messages
from engine.services.catalog import FlowCatalog
from engine.services.concurrency_gate import ConcurrencyGate
from engine.services.flow_triggers import FlowTriggers
from engine.services.messages import Tick, TickMode

MAX_CONFLICT_RETRIES = 8
# How long a delivery may come back to send what its step wrote: the longest visibility timeout times
# maxReceiveCount in template.yaml (the worker queue's, whose workers also step). Past it, the message was
# deleted (so its step sent) or dead-lettered (and the dead-letter consumer fails the execution): nobody
# needs the entry any more.
PENDING_FOR = timedelta(minutes=80)


class Delivery(Struct, frozen=True):
    """The messages a step handles, as their queue delivered them."""

    message_ids: frozenset[str] = frozenset()
    redelivered: bool = False
    # From the FIFO dispatch queue: a first delivery there means every earlier message of the execution's
    # group was deleted, so whatever their steps wrote was sent.
    ordered: bool = False
    # The dedup ids of the messages handled: receiving a message proves its outbox entry was sent.
    received: frozenset[str] = frozenset()


class StepReport(Struct):
    """What one step did, for logs and tests."""

    execution_id: str
    version: int | None = None
    sent: int = 0
    ended: list[ExecutionEnded] = field(default_factory=list)
    conflicts: int = 0
    resent_outbox: int = 0


class _Recent:
    """The executions this process committed last. The store reads only what was written after the copy
    kept here, so a step reads what changed, not the execution's whole history (design §3). Lambda keeps
    it between invocations of a warm container. Its outbox holds only the entries this process did not send
    itself."""

    def __init__(self, size: int = 64) -> None:
        self._entries: OrderedDict[str, StoredExecution] = OrderedDict()
        self._size = size

    def get(self, execution_id: str) -> StoredExecution | None:
        entry = self._entries.get(execution_id)
        if entry is None:
            return None
        self._entries.move_to_end(execution_id)
        # advance() never mutates its input, so sharing the execution is safe; the outbox list is copied.
        return StoredExecution(entry.execution, list(entry.outbox))

    def put(self, stored: StoredExecution) -> None:
        self._entries[stored.execution.id] = stored
        self._entries.move_to_end(stored.execution.id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


class Dispatcher(Struct):
    catalog: FlowCatalog
    store: ExecutionStore
    bus: MessageBus
    engine: EngineContext
    gate: ConcurrencyGate
    flow_triggers: FlowTriggers | None = None
    recent: _Recent = field(default_factory=_Recent)

    def _load(self, execution_id: str) -> StoredExecution:
        stored = self.store.load(execution_id, self.recent.get(execution_id))
        if stored is None:
            raise LookupError(f"execution '{execution_id}' not found")
        return stored

    def poison(self, execution_id: str, reason: str) -> StepReport:
        """A message of this execution was dead-lettered: it ends FAILED with `reason` (decision 0012),
        applied without the passes, which may be what kept failing."""
        return self.handle(execution_id, [Poisoned(reason)], passes=False)

    def handle(
        self,
        execution_id: str,
        events: Sequence[Event],
        delivery: Delivery = Delivery(),
        *,
        passes: bool = True,
        attempts: int = MAX_CONFLICT_RETRIES,
    ) -> StepReport:
        report = StepReport(execution_id)
        for event in events:
            if isinstance(event, StartExecution):
                self._create(event.execution)
        if any(isinstance(event, ReleaseSlot) for event in events):
            ended = self._load(execution_id).execution
            self.gate.release(self._graph(ended), ended)
            events = [event for event in events if not isinstance(event, ReleaseSlot)]
            if not events:
                return report
        for _ in range(attempts):
            stored = self._load(execution_id)
            if delivery.redelivered:
                report.resent_outbox += self._resend(stored, delivery)
            try:
                self._step(stored, events, delivery, report, passes=passes)
                return report
            except ConcurrentModificationError:
                report.conflicts += 1
        raise ConcurrentModificationError(f"execution '{execution_id}': too many concurrent writers")

    def resend(self, execution_id: str, delivery: Delivery) -> int:
        """Send again what a step of `delivery` wrote, for a delivery that comes back and has no step to
        make (a worker finding its attempt claimed: the first delivery ran it, and may have died after
        committing its step, before sending)."""
        return self._resend(self._load(execution_id), delivery)

    def _resend(self, stored: StoredExecution, delivery: Delivery) -> int:
        # Receivers deduplicate what comes twice.
        mine = [e.message for e in stored.outbox if delivery.message_ids.intersection(e.origins)]
        self.bus.send(mine)
        return len(mine)

    def _create(self, execution: Execution) -> None:
        """A start sent twice finds the execution there: the first one created it."""
        with suppress(ConcurrentModificationError):
            self.store.create(execution)

    def _graph(self, execution: Execution) -> FlowGraph:
        return self.catalog.graph(execution.namespace, execution.flow_id, execution.flow_revision)

    def _flow_started_to_kill(self, execution: Execution, events: Sequence[Event]) -> list[Message]:
        """A kill with its cascade reaches what a Flow trigger started from this execution and has not ended:
        Kestra's kill finds every execution by its triggerExecutionId (spec part 2 §13.3). The children of
        Subflows and ForEachItems are the step's own (`subflows`, `batches`)."""
        if not any(isinstance(event, Kill) and event.cascade and event.after is None for event in events):
            return []
        return [
            messages.kill(started.id)
            for started in self.store.search(started_by=execution.id)
            if (started.trigger or {}).get("type") in FLOW_TRIGGER_TYPES
            and not started.state.current.terminated
        ]

    def _step(
        self,
        stored: StoredExecution,
        events: Sequence[Event],
        delivery: Delivery,
        report: StepReport,
        *,
        passes: bool,
    ) -> None:
        execution = stored.execution
        graph = self._graph(execution)
        waits = lifecycle.schedule_date_to_come(execution, self.engine.clock.now()) is not None
        unqueued = any(isinstance(e, Unqueue) and lifecycle.unqueues(execution, e) for e in events)
        if unqueued:  # before the commit: a step run again leaves the queue again, which changes nothing
            self.gate.leave_queue(graph, execution)
        admission = self.gate.admit(graph, execution) if passes and not waits and not unqueued else None
        events = [*events, admission] if admission else events
        result = advance(graph, execution, events, self.engine, passes=passes)
        flow_started = self._flow_started_to_kill(execution, events)
        if not result.modified:
            # Nothing to commit (an ended execution keeps its state): the notices alone, which a
            # redelivery sends again and a receiver takes once.
            self.bus.send(flow_started)
            return
        outbox: list[Message] = list(flow_started)
        for effect in result.effects:
            if isinstance(effect, RunTask):
                outbox.append(run_task_message(graph, result.execution, effect, alone=_alone(result)))
            elif isinstance(effect, StartTimer):
                fired = TimerFired(effect.kind, effect.task_run_id, effect.attempt, effect.sla_id)
                outbox.append(messages.timer(execution.id, fired, effect.fire_at))
            elif isinstance(effect, Continue):
                outbox.append(messages.wake(execution.id, f"continue-{execution.version}"))
            elif isinstance(effect, ExecutionEnded):
                report.ended.append(effect)
                gathered = batches.outputs_file(result.execution)
                if gathered is not None:  # before the commit: a step run again writes the same bytes
                    self.engine.resources.storage.put(*gathered)
                attempt = result.execution.metadata.attempt_number
                if graph.flow.concurrency is not None:
                    outbox.append(messages.release_slot(execution.id, attempt))
                outbox += _schedule_release(result.execution, attempt)
                if self.flow_triggers is not None:
                    self.flow_triggers.stop_after(graph.flow, result.execution)
            elif isinstance(effect, StartExecution):
                outbox.append(messages.start_execution(effect))
            elif isinstance(effect, Notify):
                outbox.append(messages.notify(effect))
        logs = list(result.logs)
        entered = _entered(execution, result)
        if self.flow_triggers is not None and entered:
            started = self.flow_triggers.started_by(result.execution, entered)
            outbox += [messages.start_execution(StartExecution(new)) for new in started.executions]
            logs += started.logs
        now = self.engine.clock.now()
        origins = tuple(sorted(delivery.message_ids))
        written = [OutboxEntry(message, now, origins, delivery.ordered) for message in outbox]
        carried = still_pending(stored.outbox, delivery, now)
        new = result.execution
        new.version = execution.version
        report.version = self.store.commit(
            Commit(
                new,
                result.changed,
                result.removed,
                (*carried, *written),
                tuple(logs),
                header_changed=header_changed(execution, new),
            )
        )
        new.version = report.version
        self.recent.put(StoredExecution(new, [*carried, *written]))
        self.bus.send(outbox)
        # Sent: this process knows it; another one will carry these entries until it cannot matter.
        self.recent.put(StoredExecution(new, carried))
        report.sent += len(outbox)


def _entered(before: Execution, result: AdvanceResult) -> list[tuple[str, int]]:
    """What Flow triggers look at: each state the execution entered in this step that is not an end
    (RUNNING, PAUSED, RUNNING again: a step may go through several), and its end once afterExecution is
    done; each with the how-many-th time the execution enters it."""
    histories = result.execution.state.histories
    entered = []
    for index in range(len(before.state.histories), len(histories)):
        state = histories[index].state
        if not state.terminated:
            entered.append((state.value, sum(h.state == state for h in histories[: index + 1])))
    if any(isinstance(effect, ExecutionEnded) for effect in result.effects):
        final = result.execution.state.current
        entered.append((final.value, sum(h.state == final for h in histories)))
    return entered


def _alone(result: AdvanceResult) -> bool:
    """The step sends one task to a worker and no other one is out: nothing else is likely to write the
    execution until its result, so its worker may make the next step itself."""
    runs = [effect for effect in result.effects if isinstance(effect, RunTask)]
    return len(runs) == 1 and len(result.execution.task_runs.in_state(StateType.SUBMITTED)) == 1


def still_pending(outbox: Sequence[OutboxEntry], delivery: Delivery, now: datetime) -> list[OutboxEntry]:
    """The entries a commit must carry: those whose delivery may still have to send them again. The API's
    (a Wake) matter no more once any step runs; a first delivery from the ordered queue shows every
    earlier delivery from it done; this delivery has just sent its own again; a message received was sent;
    and past PENDING_FOR the
    delivery that wrote an entry is done or dead-lettered."""
    return [
        entry
        for entry in outbox
        if entry.origins
        and not (entry.ordered and delivery.ordered and not delivery.redelivered)
        and not delivery.message_ids.intersection(entry.origins)
        and entry.message.dedup_id not in delivery.received
        and now - entry.at < PENDING_FOR
    ]


def run_task_message(
    graph: FlowGraph, execution: Execution, effect: RunTask, *, alone: bool = False
) -> Message:
    """`alone`: the worker applies its result itself (decision 0013) rather than sending it here."""
    run = execution.task_runs.get(effect.task_run_id)
    variables = to_json_value(worker_variables(graph, execution, run))
    return Message(
        QueueName.WORKER,
        {
            "kind": "RunTask",
            "continues": alone,
            "executionId": execution.id,
            "flow": {
                "namespace": execution.namespace,
                "id": execution.flow_id,
                "revision": execution.flow_revision,
            },
            "taskRun": task_run_to_json(run, internal=True),
            "variables": variables,
        },
        dedup_id=messages.run_task_dedup_id(run.id, effect.attempt),
    )


def _schedule_release(execution: Execution, attempt: int) -> list[Message]:
    """The schedule that started the execution waits for its end to start the next date (spec part 1
    §9.2: schedules do not overlap)."""
    trigger = execution.trigger or {}
    if trigger.get("type") not in SCHEDULE_TYPES | ON_DATES_TYPES:
        return []
    tick = Tick(execution.namespace, execution.flow_id, str(trigger.get("id")), TickMode.RELEASE)
    return [messages.schedule_tick(tick, f"release-{execution.id}-{attempt}")]
