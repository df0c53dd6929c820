"""EngineContext: what `advance()` is given besides the execution — the ports it may read, the renderer and
the configuration — and the two checks every creation path shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from msgspec import Struct

from engine.config import EngineConfig
from engine.creation import checks
from engine.creation.inputs import Condition, resolve_inputs
from engine.creation.secret_inputs import reveal_secrets, seal_secrets
from engine.expressions import ExpressionError, Renderer
from engine.flow.model import Flow
from engine.model.logs import LogEntry
from engine.ports import FlowGraphs
from engine.resources import Clock, IdGenerator, Resources
from engine.runtime.port_services import PortServices, Scope


class EngineContext(Struct, frozen=True):
    clock: Clock
    ids: IdGenerator
    renderer: Renderer
    resources: Resources
    config: EngineConfig
    # The stored log lines of an execution (errorLogs()); read only when a template asks.
    stored_logs: Callable[[str], list[LogEntry]]
    flows: FlowGraphs
    # How many attempts of `inline` tasks this step may run itself (decision 0003); 0 sends all to workers.
    inline_budget: int = 0
    # How many task runs one step may write: past it, the step commits and the next one goes on, so a step's
    # work and its write stay bounded however large the fan-out (design §4).
    max_writes: int = 80

    def typed_inputs(
        self, flow: Flow, supplied: Mapping[str, Any], *, require: bool = True
    ) -> dict[str, Any]:
        """A new execution's inputs, on every creation path (the API, replay, a Subflow task): typed and
        validated, then SECRET values encrypted. Without `require`, a missing required input is null."""
        typed = resolve_inputs(flow, supplied, require=require, condition=self.input_condition(flow))
        return seal_secrets(flow.inputs, typed, self.config.encryption_key, self.ids.random_bytes)

    def input_condition(self, flow: Flow) -> Condition:
        """An input's `dependsOn.condition`, rendered typed over the inputs before it: true or not."""
        services = self.port_services(Scope.of(flow.namespace, flow.id, "", None))

        def holds(template: str, inputs: Mapping[str, Any]) -> bool:
            variables = {"inputs": inputs, "flow": {"id": flow.id, "namespace": flow.namespace}}
            try:
                return self.renderer.render_typed(template, variables, services) is True
            except ExpressionError as exc:
                raise ValueError(str(exc)) from None

        return holds

    def port_services(
        self, scope: Scope, execution_logs: Callable[[], Sequence[LogEntry]] = list
    ) -> PortServices:
        """What an expression rendered outside a task run reaches (checks, trigger conditions, a key)."""
        return PortServices(self.clock, self.ids, self.resources, self.config, scope, execution_logs)

    def check(
        self, flow: Flow, revision: int, execution_id: str, inputs: Mapping[str, Any]
    ) -> checks.Verdict:
        """The flow's `checks` on the typed inputs of an execution about to be created."""
        scope = Scope.of(flow.namespace, flow.id, execution_id, None)
        services = self.port_services(scope)
        revealed = reveal_secrets(flow.inputs, inputs, self.config.decryption_keys)
        return checks.evaluate(flow, revision, revealed, self.renderer, services)
