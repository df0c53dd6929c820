"""Starting executions from webhook calls (spec part 1 §9.3): the flow, its trigger, then a creation like
the API's with `trigger.*` set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.creation.inputs import InvalidInputsError
from engine.creation.webhook import (
    WebhookCall,
    conditions_hold,
    extra,
    matching,
    rendered_inputs,
)
from engine.executor.context import EngineContext
from engine.expressions import ExpressionError
from engine.flow.model import Trigger
from engine.model.execution import Execution
from engine.resources import NotFoundError
from engine.runtime.port_services import PortServices, Scope
from engine.services.catalog import FlowCatalog
from engine.services.executions import ExecutionService, FlowDisabledError


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    trigger: Trigger
    execution: Execution | None  # None: the trigger's conditions did not hold

    @property
    def wait(self) -> bool:
        return bool(extra(self.trigger).get("wait"))

    @property
    def return_outputs(self) -> bool:
        return bool(extra(self.trigger).get("returnOutputs"))


@dataclass(frozen=True, slots=True)
class WebhookService:
    catalog: FlowCatalog
    executions: ExecutionService
    engine: EngineContext

    def call(self, namespace: str, flow_id: str, key: str, call: WebhookCall) -> WebhookOutcome:
        """Raises NotFoundError ("Flow not found", "Webhook not found", "No execution triggered"),
        FlowDisabledError, or WebhookError for a trigger Kite cannot honour."""
        try:
            flow = self.catalog.graph(namespace, flow_id).flow
        except NotFoundError:
            raise NotFoundError("Flow not found") from None
        if flow.disabled:
            raise FlowDisabledError("Cannot execute a disabled flow")
        engine = self.engine
        services = PortServices(
            engine.clock,
            engine.ids,
            engine.resources,
            engine.config,
            Scope.of(namespace, flow_id, "", None),
            list,
        )
        trigger = matching(flow, key, engine.renderer, services)
        if trigger is None:
            raise NotFoundError("Webhook not found")
        variables = call.variables()
        if not conditions_hold(flow, trigger, variables, engine.renderer, services):
            return WebhookOutcome(trigger, None)
        try:
            inputs = rendered_inputs(flow, trigger, variables, engine.renderer, services)
            execution = self.executions.create(
                namespace,
                flow_id,
                inputs,
                [("system.from", "trigger"), *self._labels(trigger, variables, services)],
                trigger={"id": trigger.id, "type": trigger.type, "variables": variables},
            )
        except (InvalidInputsError, ExpressionError) as exc:
            raise NotFoundError(f"No execution triggered: {exc}") from None
        return WebhookOutcome(trigger, execution)

    def _labels(
        self, trigger: Trigger, variables: dict[str, Any], services: PortServices
    ) -> list[tuple[str, str]]:
        """The trigger's labels, rendered; one that fails to render is left out (spec part 1 §9.1)."""
        labels = extra(trigger).get("labels") or {}
        pairs = (
            labels.items()
            if isinstance(labels, dict)
            else ((item.get("key"), item.get("value")) for item in labels if isinstance(item, dict))
        )
        rendered = []
        for name, value in pairs:
            try:
                text = self.engine.renderer.render(str(value), {"trigger": variables}, services)
            except ExpressionError:
                continue
            rendered.append((str(name), text))
        return rendered
