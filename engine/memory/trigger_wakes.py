"""Wakes kept in a dict: the in-memory backend has no clock of its own to fire them, a test ticks."""

from __future__ import annotations

from collections.abc import Sequence

from engine.ports import Wake


class InMemoryTriggerWakes:
    def __init__(self) -> None:
        self.wakes: dict[tuple[str, str], tuple[Wake, ...]] = {}

    def set(self, namespace: str, flow_id: str, wakes: Sequence[Wake]) -> None:
        if wakes:
            self.wakes[(namespace, flow_id)] = tuple(wakes)
        else:
            self.wakes.pop((namespace, flow_id), None)
