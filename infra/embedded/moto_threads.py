"""moto's in-process backends are not thread-safe: a request that inserts an item while another iterates
the same dict fails ("dictionary changed size during iteration"). `kite serve` answers requests on
threads beside its pump, so every request to moto is made one at a time (local only; each request is
short, and AWS itself is what serves concurrent ones in the cloud)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber

_MARK = "_kite_serialised"
_LOCK = threading.RLock()


def install() -> None:
    """Idempotent."""
    original: Callable[..., Any] = BotocoreStubber.__call__
    if getattr(original, _MARK, False):
        return

    def call(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return original(self, event_name, request, **kwargs)

    setattr(call, _MARK, True)
    BotocoreStubber.__call__ = call  # type: ignore[method-assign]
