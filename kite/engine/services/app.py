"""The services wired together over a set of adapters: the same object in Lambda, locally and in tests."""

from __future__ import annotations

from dataclasses import dataclass

from kite.engine.expressions import Renderer
from kite.engine.ports import Clock, ExecutionStore, FlowRepository, IdGenerator, MessageBus
from kite.engine.services.catalog import FlowCatalog
from kite.engine.services.dispatcher import Dispatcher
from kite.engine.services.executions import ExecutionService
from kite.engine.services.flows import FlowService
from kite.engine.services.worker import Worker


@dataclass(frozen=True, slots=True)
class Services:
    flows: FlowService
    executions: ExecutionService
    dispatcher: Dispatcher
    worker: Worker
    store: ExecutionStore
    bus: MessageBus
    clock: Clock

    @staticmethod
    def build(
        flows: FlowRepository,
        store: ExecutionStore,
        bus: MessageBus,
        clock: Clock,
        ids: IdGenerator,
        *,
        inline_budget: int = 500,
    ) -> Services:
        renderer = Renderer()
        catalog = FlowCatalog(flows)
        return Services(
            flows=FlowService(flows),
            executions=ExecutionService(catalog, store, bus, clock, ids),
            dispatcher=Dispatcher(catalog, store, bus, clock, ids, renderer, inline_budget),
            worker=Worker(catalog, bus, clock, ids, renderer),
            store=store,
            bus=bus,
            clock=clock,
        )
