"""Flow triggers: the executions an execution's new state starts in the flows that listen for it.

A dispatcher step asks, with the execution as the step left it; the new executions go out as
StartExecution messages from that step's outbox, so they are sent once the state is committed, and their
ids are derived from (listening flow, trigger, upstream execution, state): a step run again starts nothing
twice. A trigger that cannot be honoured, or whose inputs are refused, is reported in the upstream
execution's logs and starts nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgspec import Struct, field

from engine.creation.conditions import ConditionContext, ConditionError, Upstream
from engine.creation.flow_trigger import Verdict, judge, listening, trigger_variables
from engine.creation.inputs import InvalidInputsError
from engine.creation.new_execution import new_execution
from engine.creation.trigger_states import extra
from engine.executor.context import EngineContext
from engine.expressions import ExpressionError
from engine.flow.model import Flow, Trigger
from engine.model.execution import Execution
from engine.model.ids import derived_id
from engine.model.logs import LogEntry
from engine.ports import PreconditionStore, TriggerStateStore
from engine.runtime.port_services import Scope
from engine.runtime.variables import execution_variables
from engine.services.catalog import FlowCatalog


class Started(Struct):
    executions: list[Execution] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)


class FlowTriggers(Struct, frozen=True):
    catalog: FlowCatalog
    engine: EngineContext
    preconditions: PreconditionStore
    trigger_states: TriggerStateStore
    _cache: dict[str, tuple[int, list[tuple[Flow, int]]]] = field(default_factory=dict)

    def started_by(self, upstream: Execution, entered: Sequence[tuple[str, int]]) -> Started:
        """The executions started by `upstream` entering each of `entered` (a state, and the how-many-th
        time it enters it: RUNNING comes back after a pause), in order."""
        started = Started()
        flows = [
            (flow, revision)
            for flow, revision in self._listeners()
            if (flow.namespace, flow.id) != (upstream.namespace, upstream.flow_id)
        ]
        if not flows:
            return started
        upstream_graph = self.catalog.graph(upstream.namespace, upstream.flow_id, upstream.flow_revision)
        overrides = self.trigger_states.disabled()
        for state, occurrence in entered:
            seen = Upstream(
                upstream.namespace, upstream.flow_id, state, upstream.label_map(), upstream.outputs or {}
            )
            variables = trigger_variables(upstream.id, seen, upstream.flow_revision, upstream.outputs)
            context_variables = {**execution_variables(upstream_graph, upstream), "trigger": variables}
            for flow, revision in flows:
                for trigger in listening(flow, overrides):
                    self._consider(
                        flow,
                        revision,
                        trigger,
                        upstream,
                        (seen, occurrence),
                        variables,
                        context_variables,
                        started,
                    )
        return started

    def stop_after(self, flow: Flow, ended: Execution) -> None:
        """The trigger that started `ended` disables itself when `ended` is in one of its `stopAfter` states
        (spec part 1 §9.1), whatever its kind."""
        started_by = (ended.trigger or {}).get("id")
        for trigger in flow.triggers or ():
            stop_after = extra(trigger).get("stopAfter") or ()
            if trigger.id == started_by and ended.state.current.value in stop_after:
                self.trigger_states.set_disabled(flow.namespace, flow.id, trigger.id, True)

    def _listeners(self) -> list[tuple[Flow, int]]:
        """The flows with a Flow trigger (and their revisions), read again only when a flow changed: one read
        of the flows' generation per look, not a listing of every flow."""
        repository = self.catalog.repository
        generation = repository.generation()
        cached = self._cache.get("listeners")
        if cached is None or cached[0] != generation:
            flows = [
                (self.catalog.graph(r.namespace, r.id, r.revision).flow, r.revision)
                for r in repository.list()
            ]
            cached = (generation, [(flow, revision) for flow, revision in flows if listening(flow)])
            self._cache["listeners"] = cached
        return cached[1]

    def _fires(self, verdict: Verdict, upstream_id: str) -> bool:
        """A verdict that needs several named conditions fires when this upstream's matches complete them
        in the window: once, whoever completes them first (a step run again finds itself a firer)."""
        if verdict.window is None:
            return verdict.fires
        window = verdict.window
        state = self.preconditions.record(
            window.key, verdict.matched, self.engine.clock.now(), window.expires
        )
        if upstream_id in state.fired:
            return True
        fresh = {name for name, at in state.matches.items() if at >= window.since}
        if not set(verdict.needs) <= fresh:
            return False
        return not verdict.reset or self.preconditions.fire(window.key, state.version, upstream_id)

    def _consider(  # noqa: PLR0917 - one trigger of one listening flow, and what the upstream shows it
        self,
        flow: Flow,
        revision: int,
        trigger: Trigger,
        upstream: Execution,
        entered: tuple[Upstream, int],
        variables: dict[str, Any],
        context_variables: dict[str, Any],
        started: Started,
    ) -> None:
        engine = self.engine
        seen, occurrence = entered
        scope = Scope.of(flow.namespace, flow.id, "", variables)
        services = engine.port_services(scope)
        context = ConditionContext(context_variables, engine.renderer, services, seen)
        now = engine.clock.now()
        where = f"Flow trigger '{trigger.id}' of {flow.namespace}.{flow.id}"
        try:
            if not self._fires(judge(flow, trigger, context, now), upstream.id):
                return
            inputs = engine.renderer.render_value(
                extra(trigger).get("inputs") or {}, context_variables, services
            )
            # Kestra creates it whatever required input it lacks (FlowTriggerCaseTest#trigger: a listener
            # with a required input and no trigger `inputs` runs); a value of the wrong type still refuses.
            typed = engine.typed_inputs(flow, inputs, require=False)
        except (ConditionError, ExpressionError, InvalidInputsError) as exc:
            started.logs.append(LogEntry(upstream.id, "WARN", f"{where}: {exc}", now))
            return
        purpose = f"flow-trigger/{flow.namespace}/{flow.id}/{trigger.id}/{seen.state}/{occurrence}"
        execution_id = derived_id(upstream.id, purpose)
        verdict = engine.check(flow, revision, execution_id, typed)
        if verdict.behavior != "CREATE_EXECUTION":
            # A FAIL_EXECUTION check would create it FAILED through the API; here nothing is created.
            started.logs.append(LogEntry(upstream.id, "WARN", f"{where}: {verdict.refusal}", now))
            return
        started.executions.append(
            new_execution(
                flow,
                revision,
                execution_id,
                now,
                inputs=typed,
                labels=[("system.from", "trigger")],
                trigger={"id": trigger.id, "type": trigger.type, "variables": variables},
            )
        )
