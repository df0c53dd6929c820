"""Wrappers that stand between the embedded stack's pump and the real handlers, to inject faults."""

from __future__ import annotations

import copy
from typing import Any

from infra.embedded.local import Wrapper
from infra.embedded.pump import Handler
from infra.embedded.template import load_template


def twice(handler: Handler) -> Handler:
    """Every batch is delivered twice, as SQS may do."""

    def deliver(event: dict[str, Any], context: Any) -> Any:
        handler(copy.deepcopy(event), context)
        return handler(event, context)

    return deliver


def on_every_function(wrapper: Wrapper) -> dict[str, Wrapper]:
    """`wrapper` around every function of template.yaml."""
    return {function.logical_id: wrapper for function in load_template().functions}
