"""Trigger states in dicts."""

from __future__ import annotations

from msgspec.structs import replace

from engine.ports import ConcurrentModificationError, ScheduleState

Key = tuple[str, str, str]


class InMemoryTriggerStateStore:
    def __init__(self) -> None:
        self._disabled: dict[Key, bool] = {}
        self._schedules: dict[Key, ScheduleState] = {}

    def disabled(self) -> dict[Key, bool]:
        return dict(self._disabled)

    def set_disabled(self, namespace: str, flow_id: str, trigger_id: str, disabled: bool) -> None:
        self._disabled[(namespace, flow_id, trigger_id)] = disabled

    def forget(self, namespace: str, flow_id: str, trigger_id: str) -> bool:
        key = (namespace, flow_id, trigger_id)
        had_schedule = self._schedules.pop(key, None) is not None
        return self._disabled.pop(key, None) is not None or had_schedule

    def schedule(self, namespace: str, flow_id: str, trigger_id: str) -> ScheduleState | None:
        return self._schedules.get((namespace, flow_id, trigger_id))

    def save_schedule(self, namespace: str, flow_id: str, trigger_id: str, state: ScheduleState) -> int:
        key = (namespace, flow_id, trigger_id)
        stored = self._schedules.get(key)
        if (stored.version if stored else 0) != state.version:
            raise ConcurrentModificationError(
                f"schedule {key}: version {state.version} is not the stored one"
            )
        self._schedules[key] = replace(state, version=state.version + 1)
        return state.version + 1
