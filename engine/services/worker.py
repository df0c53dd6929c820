"""The worker: claim one attempt of a task run, run it and report the result to the dispatcher, or, when its
task is the only one out, apply the result itself (decision 0013): a sequential flow then costs one
function invocation and no dispatch message per task."""

from __future__ import annotations

from functools import partial
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from engine.config import EngineConfig
from engine.creation.secret_inputs import reveal_secrets
from engine.expressions import Renderer
from engine.model.serde import task_run_from_json
from engine.model.values import from_json_value
from engine.ports import Claim, ConcurrentModificationError, ExecutionStore, Message, MessageBus
from engine.resources import Clock, IdGenerator, Resources
from engine.runtime.attempt import WORKER_LIMIT, run_attempt
from engine.runtime.port_services import PortServices, Scope
from engine.services import messages
from engine.services.catalog import FlowCatalog
from engine.services.dispatcher import Delivery, Dispatcher
from engine.task_api import RunnableTask

# A worker that loses the race for the execution this often leaves the step to the dispatcher.
_OWN_STEP_ATTEMPTS = 2


class Worker(Struct):
    catalog: FlowCatalog
    bus: MessageBus
    clock: Clock
    ids: IdGenerator
    renderer: Renderer
    resources: Resources
    config: EngineConfig
    store: ExecutionStore
    dispatcher: Dispatcher

    def handle(self, body: dict[str, Any], delivery: Delivery, reports: list[Message]) -> None:
        """Run one RunTask; what it reports is added to `reports`, which the caller sends (`send`) once for
        the batch of RunTasks it handles: one request for up to ten results."""
        flow = body["flow"]
        graph = self.catalog.graph(flow["namespace"], flow["id"], int(flow["revision"]))
        run = task_run_from_json(body["taskRun"])
        task = graph.task(run.task_id)
        if not isinstance(task, RunnableTask):
            raise TypeError(f"task '{task.id}' of type {task.type} is not runnable on a worker")
        execution_id = body["executionId"]
        # The attempt is claimed before any side effect: a RunTask delivered twice runs once (design §4).
        attempt = run.attempt_number + 1
        # Receiving the RunTask proves its outbox entry was sent: a step made here drops it.
        delivery = replace(delivery, received=frozenset({messages.run_task_dedup_id(run.id, attempt)}))
        claim = self.store.claim(execution_id, run.id, attempt, self.clock.now(), WORKER_LIMIT)
        if claim is Claim.HELD:
            # This delivery ran it and died after its step's commit: send what the step wrote.
            self.dispatcher.resend(execution_id, delivery)
            # Or another delivery runs it, or ran it, or died running it: if no result has come by the end
            # of its lease, the attempt is lost (a result that came makes this notice one to ignore).
            lease_end = self.clock.now() + WORKER_LIMIT
            reports.append(messages.attempt_lost(execution_id, run.id, attempt, at=lease_end))
            return
        if claim is Claim.LAPSED:
            # Its worker died (this is the redelivery of its message): the attempt is lost.
            reports.append(messages.attempt_lost(execution_id, run.id, attempt))
            return
        variables = {**self.config.variables(), **from_json_value(body["variables"])}
        if "inputs" in variables:
            # The message carries SECRET inputs encrypted, as stored.
            variables["inputs"] = reveal_secrets(
                graph.flow.inputs, variables["inputs"], self.config.decryption_keys
            )
        services = PortServices(
            self.clock,
            self.ids,
            self.resources,
            self.config,
            Scope.of(flow["namespace"], flow["id"], execution_id, variables.get("trigger")),
            lambda: self.store.logs(execution_id),
            masked=PortServices.secret_inputs(graph.flow.inputs, variables.get("inputs")),
            stored_logs=self.store.logs,
            live_logs=partial(self.store.append_live_logs, execution_id),
        )
        result = run_attempt(task, run, variables, self.renderer, services)
        report = messages.worker_result(result)
        if body.get("continues"):
            _, event = messages.decode_event(report.body)
            self.send(reports)  # what this step writes must not wait on what is held here
            try:
                self.dispatcher.handle(execution_id, [event], delivery, attempts=_OWN_STEP_ATTEMPTS)
                return
            except ConcurrentModificationError:
                pass  # others write the execution too: the dispatcher applies the result in turn
            except Exception:
                # Not committed: the dispatcher applies it. Committed, then failed to send: the message
                # comes back and sends what the step wrote, and the dispatcher ignores the result.
                self.bus.send([report])
                raise
        reports.append(report)

    def send(self, reports: list[Message]) -> None:
        self.bus.send(reports)
        reports.clear()
