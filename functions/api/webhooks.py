"""The Webhook trigger's URL: `/api/v1/[main/]executions/webhook/{namespace}/{flowId}/{key}` for GET, POST
and PUT (spec part 1 §9.3). Open to anyone with the key: no credentials asked."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.creation.webhook import WebhookCall
from engine.model.state import StateType
from functions import app
from functions.api import shapes
from functions.api.executions import wait_until_terminated
from functions.api.requests import body_bytes, query_pairs

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

PATH = "/executions/webhook/<namespace>/<flow_id>/<key>"


@router.route(PATH, method=["GET", "POST", "PUT"])
def webhook(namespace: str, flow_id: str, key: str) -> Any:
    event = router.current_event
    parameters: dict[str, list[str]] = {}
    for name, value in query_pairs(event):
        parameters.setdefault(name, []).append(value)
    # API Gateway joins a repeated header's values with commas.
    headers = {name: [value] for name, value in (event.get("headers") or {}).items()}
    call = WebhookCall(body_bytes(event), headers, parameters)
    webhooks = app.current().services.webhooks
    outcome = webhooks.call(namespace, flow_id, key, call)
    if outcome.execution is None:
        # The trigger's conditions do not hold: Kestra answers 409 with no body.
        return Response(409, content_types.TEXT_PLAIN, "")
    execution = outcome.execution
    status = 200
    body: Any = shapes.webhook_execution(execution)
    if outcome.wait:
        execution = wait_until_terminated(execution)
        body = (execution.outputs or {}) if outcome.return_outputs else shapes.webhook_execution(execution)
        failed = execution.state.current is StateType.FAILED
        status = webhooks.response_code(outcome, execution) or (500 if failed else 200)
    return Response(status, outcome.content_type, json.dumps(body, separators=(",", ":")))
