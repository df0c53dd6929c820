"""The services wired together over a set of adapters: the same object in Lambda, locally and in tests."""

from __future__ import annotations

from msgspec import Struct
from msgspec.structs import replace

from engine.config import EngineConfig
from engine.executor.context import EngineContext
from engine.expressions import Renderer
from engine.ports import (
    ConcurrencyStore,
    ExecutionStore,
    FlowRepository,
    MessageBus,
    PreconditionStore,
    TriggerStateStore,
    TriggerWakes,
)
from engine.resources import Clock, IdGenerator, Resources
from engine.services.catalog import FlowCatalog
from engine.services.concurrency_gate import ConcurrencyGate
from engine.services.dispatcher import Dispatcher
from engine.services.execution_access import ExecutionAccess
from engine.services.executions import ExecutionService
from engine.services.flow_triggers import FlowTriggers
from engine.services.flows import FlowService
from engine.services.schedules import ScheduleService
from engine.services.trigger_switch import TriggerSwitch
from engine.services.webhooks import WebhookService
from engine.services.worker import Worker


class Services(Struct, frozen=True):
    flows: FlowService
    catalog: FlowCatalog
    executions: ExecutionService
    webhooks: WebhookService
    schedules: ScheduleService
    triggers: TriggerSwitch
    trigger_states: TriggerStateStore
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
        preconditions: PreconditionStore,
        trigger_states: TriggerStateStore,
        *,
        wakes: TriggerWakes,
        config: EngineConfig | None = None,
        inline_budget: int = 500,
        max_writes: int | None = None,
    ) -> Services:
        renderer = Renderer()
        config = config or EngineConfig()
        catalog = FlowCatalog(flows, config.plugin_defaults)
        switch = TriggerSwitch(catalog, trigger_states, bus, clock)
        access = ExecutionAccess()
        resources = replace(resources, triggers=switch, executions=access)
        engine = EngineContext(clock, ids, renderer, resources, config, store.logs, catalog, inline_budget)
        if max_writes is not None:
            engine = replace(engine, max_writes=max_writes)
        executions = ExecutionService(catalog, store, bus, clock, ids, engine)
        access.bind(executions)
        gate = ConcurrencyGate(concurrency, store, bus)
        dispatcher = Dispatcher(
            catalog, store, bus, engine, gate, FlowTriggers(catalog, engine, preconditions, trigger_states)
        )
        schedules = ScheduleService(catalog, engine, trigger_states, wakes, bus, store, switch)
        return Services(
            flows=FlowService(flows, config.plugin_defaults, schedules),
            catalog=catalog,
            executions=executions,
            webhooks=WebhookService(catalog, executions, engine, trigger_states),
            schedules=schedules,
            triggers=switch,
            trigger_states=trigger_states,
            dispatcher=dispatcher,
            worker=Worker(catalog, bus, clock, ids, renderer, resources, config, store, dispatcher),
            store=store,
            bus=bus,
            clock=clock,
            resources=resources,
        )
