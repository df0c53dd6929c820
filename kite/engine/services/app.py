"""The services wired together over a set of adapters: the same object in Lambda, locally and in tests."""

from __future__ import annotations

from dataclasses import dataclass

from kite.engine.config import EngineConfig
from kite.engine.executor.advance import EngineContext
from kite.engine.expressions import Renderer
from kite.engine.ports import (
    Clock,
    ConcurrencyStore,
    ExecutionStore,
    FlowRepository,
    IdGenerator,
    MessageBus,
    Resources,
)
from kite.engine.services.catalog import FlowCatalog
from kite.engine.services.concurrency import ConcurrencyGate
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
    resources: Resources

    @staticmethod
    def build(  # noqa: PLR0917 - the ports, in the order the composition roots hold them
        flows: FlowRepository,
        store: ExecutionStore,
        bus: MessageBus,
        clock: Clock,
        ids: IdGenerator,
        resources: Resources,
        concurrency: ConcurrencyStore,
        *,
        config: EngineConfig | None = None,
        inline_budget: int = 500,
    ) -> Services:
        renderer = Renderer()
        config = config or EngineConfig()
        catalog = FlowCatalog(flows, config.plugin_defaults)
        engine = EngineContext(clock, ids, renderer, resources, config, store.logs, catalog, inline_budget)
        return Services(
            flows=FlowService(flows, config.plugin_defaults),
            executions=ExecutionService(catalog, store, bus, clock, ids, engine),
            dispatcher=Dispatcher(catalog, store, bus, engine, ConcurrencyGate(concurrency, store, bus)),
            worker=Worker(catalog, bus, clock, ids, renderer, resources, config, store),
            store=store,
            bus=bus,
            clock=clock,
            resources=resources,
        )
