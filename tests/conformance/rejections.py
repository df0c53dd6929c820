"""Which exceptions mean "Kite refused to create the execution", and the message Kestra's API would show."""

from __future__ import annotations

import inspect

from engine.creation.inputs import InvalidInputsError
from engine.flow.loader import InvalidFlowError
from engine.model.labels import InvalidLabelError
from engine.resources import NotFoundError
from engine.services import executions
from infra.cli.remote import RemoteError

# Errors the execution service declares itself are refusals of that service (e.g. flow `checks`).
_SERVICE_ERRORS = tuple(
    member
    for _, member in inspect.getmembers(executions, inspect.isclass)
    if issubclass(member, Exception) and member.__module__ == executions.__name__
)


def rejection_errors() -> tuple[type[Exception], ...]:
    """What the services raise, and what the API's client raises for a 4xx answer."""
    return (
        InvalidInputsError,
        InvalidFlowError,
        InvalidLabelError,
        NotFoundError,
        RemoteError,
        *_SERVICE_ERRORS,
    )


def rejection_texts(error: Exception) -> tuple[str, list[str]]:
    """The whole message, and each single error's message when the exception carries several."""
    details = [str(e) for e in getattr(error, "errors", None) or []]
    details += [str(p) for p in getattr(error, "problems", None) or []]
    return str(error), details
