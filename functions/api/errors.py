"""Kestra's error responses: its status codes and its (Micronaut) error body, so that Kestra's clients
report Kite's errors as they report Kestra's."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aws_lambda_powertools.event_handler import Response, content_types

from engine.creation.inputs import InvalidInputsError
from engine.creation.webhook import WebhookError
from engine.flow.loader import InvalidFlowError
from engine.model.labels import InvalidLabelError
from engine.resources import NotFoundError
from engine.services.executions import (
    ExecutionBlockedError,
    ExecutionStateError,
    FlowDisabledError,
)


class ApiError(Exception):
    """A refusal the routes raise themselves: a status and what to tell the caller."""

    def __init__(self, status: int, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = list(details)


def error_response(status: int, message: str, path: str, details: Sequence[str] = ()) -> Response[str]:
    body = {
        "message": message,
        "_links": {"self": {"href": path, "templated": False}},
        "_embedded": {"errors": [{"message": detail, "_links": {}, "_embedded": {}} for detail in details]},
    }
    return Response(status, content_types.APPLICATION_JSON, json.dumps(body))


def classify(error: Exception) -> ApiError:
    """What Kestra answers for an error of the services."""
    match error:
        case ApiError():
            return error
        case InvalidFlowError():
            problems = [f"{p.path}: {p.message}" for p in error.problems]
            return ApiError(422, "Invalid entity: " + "; ".join(problems), [str(p) for p in error.problems])
        case InvalidInputsError():
            lines = [str(e) for e in error.errors]
            return ApiError(422, "Invalid entity: " + "\n".join(lines), lines)
        case InvalidLabelError() | ExecutionBlockedError() | WebhookError():
            return ApiError(422, str(error), [str(error)])
        case ExecutionStateError() | FlowDisabledError():
            return ApiError(409, str(error), [str(error)])
        case NotFoundError():
            return ApiError(404, str(error) or "Not Found", [str(error)])
    return ApiError(500, f"Internal Server Error: {type(error).__name__}")
