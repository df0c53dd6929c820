"""Polling triggers, evaluated at each date of their `interval`:

* HTTP (`io.kestra.plugin.core.http.Trigger`): one request; an execution when `responseCondition` holds on
  the response, with the response as `trigger.*` (Kestra's Request output: uri, code, headers, body).
* S3 (`io.kestra.plugin.aws.s3.Trigger`): the objects under the prefix, downloaded into the execution's
  storage and moved, deleted or left (`action`), as the `s3.Downloads` task does (it is that task, run for
  the execution about to start); an execution when there is any, with `trigger.objects` and
  `trigger.outputFiles`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from engine.creation.conditions import ConditionContext, ConditionError, holds
from engine.creation.trigger_states import extra
from engine.executor.context import EngineContext
from engine.expressions import ExpressionError, is_truthy
from engine.flow.model import Flow, Trigger
from engine.model.execution import TaskRun
from engine.model.ids import derived_id
from engine.model.state import State, StateType
from engine.resources import HttpError
from engine.runtime.port_services import Scope
from engine.runtime.run_context import TaskRunContext
from engine.task_api import PropertyRenderError, TaskFailedError

DEFAULT_CONDITION = "{{ response.statusCode < 400 }}"
TIMEOUT_S = 10.0


def poll(
    flow: Flow, trigger: Trigger, engine: EngineContext
) -> tuple[dict[str, Any], None] | tuple[None, str]:
    """`trigger.*` of the execution to start, or why there is none."""
    properties = extra(trigger)
    services = engine.port_services(Scope.of(flow.namespace, flow.id, "", None))
    context = engine.config.variables()
    try:
        uri = engine.renderer.render(str(properties.get("uri")), context, services)
        headers = {
            str(name): str(value)
            for name, value in engine.renderer.render_value(
                properties.get("headers") or {}, context, services
            ).items()
        }
        body = properties.get("body")
        content = engine.renderer.render(str(body), context, services).encode() if body is not None else None
    except ExpressionError as exc:
        return None, f"cannot render the request: {exc}"
    if properties.get("contentType"):
        headers.setdefault("Content-Type", str(properties["contentType"]))
    method = str(properties.get("method") or "GET").upper()
    try:
        response = engine.resources.http.request(method, uri, headers, content, TIMEOUT_S)
    except HttpError as exc:
        return None, f"the request failed: {exc}"
    text = response.body.decode("utf-8", errors="replace")
    seen = {"response": {"statusCode": response.status, "body": text, "headers": response.headers}}
    condition = str(properties.get("responseCondition") or DEFAULT_CONDITION)
    try:
        if not is_truthy(engine.renderer.render(condition, {**context, **seen}, services)):
            return None, f"responseCondition is false (HTTP {response.status})"
    except ExpressionError as exc:
        return None, f"responseCondition: {exc}"
    variables = {
        "uri": uri,
        "code": response.status,
        "headers": {name: [value] for name, value in response.headers.items()},
        "body": text,
    }
    try:
        conditions = ConditionContext({**context, "trigger": variables}, engine.renderer, services)
        if not holds(properties.get("conditions"), conditions):
            return None, "skipped by its conditions"
    except ConditionError as exc:
        return None, f"cannot tell: {exc}"
    return variables, None


def poll_s3(
    flow: Flow, trigger: Trigger, engine: EngineContext, execution_id: str
) -> tuple[dict[str, Any], None] | tuple[None, str]:
    """`trigger.*` of the execution `execution_id` (whose storage gets the files), or why there is none."""
    # Imported here, as the registry imports a task type: on first use (a cold start pays nothing for it).
    from engine.tasks.aws_s3 import DOWNLOADS_TYPE, Downloads

    properties = {key: value for key, value in extra(trigger).items() if key not in _TRIGGER_ONLY}
    try:
        task = Downloads.model_validate({**properties, "id": trigger.id, "type": DOWNLOADS_TYPE})
    except ValidationError as exc:
        return None, f"invalid: {exc.errors()[0]['msg']}"
    now = engine.clock.now()
    run = TaskRun(
        id=derived_id(execution_id, f"trigger/{trigger.id}"),
        execution_id=execution_id,
        namespace=flow.namespace,
        flow_id=flow.id,
        task_id=trigger.id,
        state=State.of(StateType.RUNNING, now),
        seq=0,
    )
    services = engine.port_services(Scope.of(flow.namespace, flow.id, execution_id, None))
    variables = engine.config.variables()
    ctx = TaskRunContext(run, variables, engine.renderer, services)
    try:
        outputs = dict(task.run(ctx) or {})
    except (TaskFailedError, PropertyRenderError) as exc:
        return None, str(exc)
    if not outputs.get("objects"):
        return None, "no object found"
    try:
        context = ConditionContext({**variables, "trigger": outputs}, engine.renderer, services)
        if not holds(extra(trigger).get("conditions"), context):
            return None, "skipped by its conditions"
    except ConditionError as exc:
        return None, f"cannot tell: {exc}"
    return outputs, None


# What the S3 trigger has that the Downloads task does not.
_TRIGGER_ONLY = frozenset(
    {"interval", "conditions", "stopAfter", "inputs", "labels", "disabled", "allowConcurrent"}
)
