"""The worker: claim one attempt of a task run, run it and report the result to the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.config import EngineConfig
from engine.creation.secret_inputs import reveal_secrets
from engine.executor.attempts import WORKER_LIMIT
from engine.expressions import Renderer
from engine.model.serde import task_run_from_json
from engine.model.values import from_json_value
from engine.ports import Claim, ExecutionStore, MessageBus
from engine.resources import Clock, IdGenerator, Resources
from engine.runtime.attempt import run_attempt
from engine.runtime.port_services import PortServices, Scope
from engine.services import messages
from engine.services.catalog import FlowCatalog
from engine.task_api import RunnableTask


@dataclass(slots=True)
class Worker:
    catalog: FlowCatalog
    bus: MessageBus
    clock: Clock
    ids: IdGenerator
    renderer: Renderer
    resources: Resources
    config: EngineConfig
    store: ExecutionStore

    def handle(self, body: dict[str, Any]) -> None:
        flow = body["flow"]
        graph = self.catalog.graph(flow["namespace"], flow["id"], int(flow["revision"]))
        run = task_run_from_json(body["taskRun"])
        task = graph.task(run.task_id)
        if not isinstance(task, RunnableTask):
            raise TypeError(f"task '{task.id}' of type {task.type} is not runnable on a worker")
        execution_id = body["executionId"]
        # The attempt is claimed before any side effect: a RunTask delivered twice runs once (design §4).
        attempt = run.attempt_number + 1
        claim = self.store.claim(execution_id, run.id, attempt, self.clock.now(), WORKER_LIMIT)
        if claim is Claim.HELD:
            # Another delivery runs it, or ran it, or died running it: if no result has come by the end
            # of its lease, the attempt is lost (a result that came makes this notice one to ignore).
            lease_end = self.clock.now() + WORKER_LIMIT
            self.bus.send([messages.attempt_lost(execution_id, run.id, attempt, at=lease_end)])
            return
        if claim is Claim.LAPSED:
            # Its worker died (this is the redelivery of its message): the attempt is lost.
            self.bus.send([messages.attempt_lost(execution_id, run.id, attempt)])
            return
        variables = {**self.config.variables(), **from_json_value(body["variables"])}
        if "inputs" in variables:
            # The message carries SECRET inputs encrypted, as stored.
            variables["inputs"] = reveal_secrets(
                graph.flow.inputs, variables["inputs"], self.config.encryption_key
            )
        services = PortServices(
            self.clock,
            self.ids,
            self.resources,
            self.config,
            Scope.of(flow["namespace"], flow["id"], execution_id, variables.get("trigger")),
            lambda: self.store.logs(execution_id),
            masked=PortServices.secret_inputs(graph.flow.inputs, variables.get("inputs")),
        )
        result = run_attempt(task, run, variables, self.renderer, services)
        self.bus.send([messages.worker_result(result)])
