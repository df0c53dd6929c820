"""Starting executions from webhook calls (spec part 1 §9.3): the flow, its trigger, then a creation like
the API's with `trigger.*` set."""

from __future__ import annotations

from msgspec import Struct

from engine.creation.inputs import InvalidInputsError
from engine.creation.trigger_states import extra, trigger_labels
from engine.creation.webhook import (
    WebhookCall,
    WebhookError,
    conditions_hold,
    matching,
    rendered_inputs,
)
from engine.executor.context import EngineContext
from engine.expressions import ExpressionError
from engine.flow.model import Trigger
from engine.model.execution import Execution
from engine.ports import TriggerStateStore
from engine.resources import NotFoundError
from engine.runtime.port_services import Scope
from engine.runtime.variables import execution_variables
from engine.services.catalog import FlowCatalog
from engine.services.executions import ExecutionService, FlowDisabledError


class WebhookOutcome(Struct, frozen=True):
    trigger: Trigger
    execution: Execution | None  # None: the trigger's conditions did not hold

    @property
    def wait(self) -> bool:
        return bool(extra(self.trigger).get("wait"))

    @property
    def return_outputs(self) -> bool:
        return bool(extra(self.trigger).get("returnOutputs"))

    @property
    def content_type(self) -> str:
        return str(extra(self.trigger).get("responseContentType") or "application/json")


class WebhookService(Struct, frozen=True):
    catalog: FlowCatalog
    executions: ExecutionService
    engine: EngineContext
    trigger_states: TriggerStateStore

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
        services = engine.port_services(Scope.of(namespace, flow_id, "", None))
        trigger = matching(flow, key, engine.renderer, services, self.trigger_states.disabled())
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
                [("system.from", "trigger"), *trigger_labels(trigger, variables, engine.renderer, services)],
                trigger={"id": trigger.id, "type": trigger.type, "variables": variables},
            )
        except (InvalidInputsError, ExpressionError) as exc:
            raise NotFoundError(f"No execution triggered: {exc}") from None
        return WebhookOutcome(trigger, execution)

    def response_code(self, outcome: WebhookOutcome, execution: Execution) -> int | None:
        """The trigger's `responseCode`, rendered once the execution has ended (with its outputs)."""
        template = extra(outcome.trigger).get("responseCode")
        if template is None:
            return None
        engine = self.engine
        graph = self.catalog.graph(execution.namespace, execution.flow_id, execution.flow_revision)
        scope = Scope.of(execution.namespace, execution.flow_id, execution.id, execution.trigger)
        services = engine.port_services(scope)
        variables = {**engine.config.variables(), **execution_variables(graph, execution)}
        try:
            text = engine.renderer.render(str(template), variables, services).strip()
            code = int(text)
        except (ExpressionError, ValueError) as exc:
            raise WebhookError(f"Webhook trigger '{outcome.trigger.id}': responseCode: {exc}") from None
        if not 100 <= code <= 599:
            raise WebhookError(
                f"Webhook trigger '{outcome.trigger.id}': responseCode {code} is not an HTTP status"
            )
        return code
