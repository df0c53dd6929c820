"""Wrappers that stand between the embedded stack's pump and the real handlers, to inject faults."""

from __future__ import annotations

import copy
from typing import Any

from infra.embedded.local import Handler


def twice(handler: Handler) -> Handler:
    """Every batch is delivered twice, as SQS may do."""

    def deliver(event: dict[str, Any], context: Any) -> dict[str, Any]:
        handler(copy.deepcopy(event), context)
        return handler(event, context)

    return deliver
