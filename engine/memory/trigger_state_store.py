"""Trigger states in a dict."""

from __future__ import annotations


class InMemoryTriggerStateStore:
    def __init__(self) -> None:
        self._disabled: dict[tuple[str, str, str], bool] = {}

    def disabled(self) -> dict[tuple[str, str, str], bool]:
        return dict(self._disabled)

    def set_disabled(self, namespace: str, flow_id: str, trigger_id: str, disabled: bool) -> None:
        self._disabled[(namespace, flow_id, trigger_id)] = disabled

    def forget(self, namespace: str, flow_id: str, trigger_id: str) -> bool:
        return self._disabled.pop((namespace, flow_id, trigger_id), None) is not None
