"""Flow trigger precondition state in a dict."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from engine.ports import FIRERS_KEPT, PreconditionState


class InMemoryPreconditionStore:
    def __init__(self) -> None:
        self._states: dict[str, PreconditionState] = {}

    def record(self, key: str, names: Sequence[str], at: datetime, expires: datetime) -> PreconditionState:
        state = self._states.get(key, PreconditionState({}))
        matches = {**state.matches, **dict.fromkeys(names, at)}
        self._states[key] = PreconditionState(matches, state.fired, state.version + 1)
        return self._states[key]

    def fire(self, key: str, version: int, upstream_id: str) -> bool:
        state = self._states.get(key)
        if state is None or state.version != version:
            return False
        fired = (*state.fired, upstream_id)[-FIRERS_KEPT:]
        self._states[key] = PreconditionState({}, fired, version + 1)
        return True
