"""The step dispatcher: load an execution, advance it, write it conditionally, then send the effects.

Faults it is built for (design §4): a message delivered twice (results merge idempotently), a crash
between the write and the send (the outbox is re-sent when the message comes back), and two steps racing
on one execution (the conditional write fails for the loser, which reloads and applies its events again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kite.engine.executor.advance import EngineContext, advance
from kite.engine.executor.events import (
    Continue,
    Event,
    ExecutionEnded,
    RunTask,
    StartTimer,
    TimerFired,
)
from kite.engine.executor.variables import task_run_variables, to_json_value
from kite.engine.expressions import Renderer
from kite.engine.flow import FlowGraph
from kite.engine.model.execution import Execution
from kite.engine.model.serde import task_run_to_json
from kite.engine.ports import (
    Clock,
    Commit,
    ConcurrentModificationError,
    ExecutionStore,
    IdGenerator,
    Message,
    MessageBus,
    QueueName,
)
from kite.engine.services import messages
from kite.engine.services.catalog import FlowCatalog

MAX_CONFLICT_RETRIES = 8


@dataclass(slots=True)
class StepReport:
    """What one step did, for logs and tests."""

    execution_id: str
    version: int | None = None
    sent: int = 0
    ended: list[ExecutionEnded] = field(default_factory=list)
    conflicts: int = 0
    resent_outbox: int = 0


@dataclass(slots=True)
class Dispatcher:
    catalog: FlowCatalog
    store: ExecutionStore
    bus: MessageBus
    clock: Clock
    ids: IdGenerator
    renderer: Renderer
    inline_budget: int = 500

    def handle(self, execution_id: str, events: Sequence[Event], *, redelivered: bool = False) -> StepReport:
        report = StepReport(execution_id)
        for _ in range(MAX_CONFLICT_RETRIES):
            stored = self.store.load(execution_id)
            if stored is None:
                raise LookupError(f"execution '{execution_id}' not found")
            if redelivered and stored.outbox:
                # The step that wrote this outbox may have died before sending it: receivers deduplicate.
                self.bus.send(stored.outbox)
                report.resent_outbox += len(stored.outbox)
            try:
                self._step(stored.execution, events, report)
                return report
            except ConcurrentModificationError:
                report.conflicts += 1
        raise ConcurrentModificationError(f"execution '{execution_id}': too many concurrent writers")

    def _step(self, execution: Execution, events: Sequence[Event], report: StepReport) -> None:
        graph = self.catalog.graph(execution.namespace, execution.flow_id, execution.flow_revision)
        ctx = EngineContext(self.clock, self.ids, self.renderer, self.inline_budget)
        result = advance(graph, execution, events, ctx)
        if not result.modified:
            return
        outbox: list[Message] = []
        for effect in result.effects:
            if isinstance(effect, RunTask):
                outbox.append(run_task_message(graph, result.execution, effect))
            elif isinstance(effect, StartTimer):
                fired = TimerFired(effect.kind, effect.task_run_id, effect.attempt)
                outbox.append(messages.timer(execution.id, fired, effect.fire_at))
            elif isinstance(effect, Continue):
                outbox.append(messages.wake(execution.id, f"continue-{execution.version}"))
            elif isinstance(effect, ExecutionEnded):
                report.ended.append(effect)
        new = result.execution
        new.version = execution.version
        report.version = self.store.commit(
            Commit(new, result.changed, result.removed, tuple(outbox), result.logs)
        )
        self.bus.send(outbox)
        report.sent += len(outbox)


def run_task_message(graph: FlowGraph, execution: Execution, effect: RunTask) -> Message:
    run = execution.task_runs.get(effect.task_run_id)
    variables = to_json_value(task_run_variables(graph, execution, run))
    return Message(
        QueueName.WORKER,
        {
            "kind": "RunTask",
            "executionId": execution.id,
            "flow": {
                "namespace": execution.namespace,
                "id": execution.flow_id,
                "revision": execution.flow_revision,
            },
            "taskRun": task_run_to_json(run, internal=True),
            "variables": variables,
        },
        dedup_id=f"run-{run.id}-{effect.attempt}",
    )
