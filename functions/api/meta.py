"""What the API says about itself and the flow format: `/plugins/schemas/flow` and `/openapi.json`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.flow.schema import flow_json_schema

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.get("/plugins/schemas/flow")
def flow_schema() -> dict[str, Any]:
    """The JSON Schema of a flow, as `kite schema` prints it (editors validate against it)."""
    return flow_json_schema()


def openapi_response(document: str) -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, document)
