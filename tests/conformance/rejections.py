"""Which exceptions mean "Kite refused to create the execution", and the message Kestra's API would show.

Some of these errors are still being written; the runner takes whichever exist, so a missing one makes the
cases that need it fail (creation raised something else) instead of crashing the runner.
"""

from __future__ import annotations

import importlib
import inspect

# (module, class) of every rejection the brief names.
_NAMED = [
    ("engine.inputs", "InvalidInputsError"),
    ("engine.loader.flow_loader", "InvalidFlowError"),
    ("engine.services.executions", "FlowDisabledError"),
    ("engine.services.executions", "InvalidLabelError"),
    ("engine.ports", "NotFoundError"),
]
# Errors the execution service declares itself are refusals of that service (e.g. flow `checks`).
_SERVICE_MODULE = "engine.services.executions"


def rejection_errors() -> tuple[type[Exception], ...]:
    found: list[type[Exception]] = []
    for module_name, class_name in _NAMED:
        try:
            error = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            continue
        found.append(error)
    try:
        service = importlib.import_module(_SERVICE_MODULE)
    except ImportError:
        return tuple(found)
    for _, member in inspect.getmembers(service, inspect.isclass):
        if issubclass(member, Exception) and member.__module__ == _SERVICE_MODULE and member not in found:
            found.append(member)
    return tuple(found)


def rejection_texts(error: Exception) -> tuple[str, list[str]]:
    """The whole message, and each single error's message when the exception carries several."""
    details = [str(e) for e in getattr(error, "errors", None) or []]
    details += [str(p) for p in getattr(error, "problems", None) or []]
    return str(error), details
