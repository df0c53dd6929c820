"""Kestra's State: the enum of state types and the append-only history (spec part 2 §7)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from msgspec import Struct


class StateType(StrEnum):
    """State.Type, in Kestra's declaration order."""

    CREATED = "CREATED"
    SUBMITTED = "SUBMITTED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    RESTARTED = "RESTARTED"
    KILLING = "KILLING"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    FAILED = "FAILED"
    KILLED = "KILLED"
    CANCELLED = "CANCELLED"
    QUEUED = "QUEUED"
    RETRYING = "RETRYING"
    RETRIED = "RETRIED"
    SKIPPED = "SKIPPED"
    BREAKPOINT = "BREAKPOINT"
    RESUBMITTED = "RESUBMITTED"

    @property
    def terminated(self) -> bool:
        return self in _TERMINATED

    @property
    def failed(self) -> bool:
        return self in _FAILED

    @property
    def created(self) -> bool:
        """Waiting to be dispatched."""
        return self in (StateType.CREATED, StateType.RESTARTED)

    @property
    def running(self) -> bool:
        return self in (StateType.RUNNING, StateType.KILLING)

    @property
    def in_flight(self) -> bool:
        """Blocks a sequential cursor and counts as busy (spec part 2 §2.7 recommendation)."""
        return not self.terminated


_TERMINATED = frozenset(
    {
        StateType.SUCCESS,
        StateType.WARNING,
        StateType.FAILED,
        StateType.KILLED,
        StateType.CANCELLED,
        StateType.RETRIED,
        StateType.SKIPPED,
        StateType.RESUBMITTED,
    }
)
_FAILED = frozenset({StateType.FAILED, StateType.KILLED, StateType.CANCELLED})


class History(Struct, frozen=True):
    state: StateType
    date: datetime


class State(Struct, frozen=True):
    """Current state plus its append-only history; every change appends `{state, date}`."""

    current: StateType
    histories: tuple[History, ...]

    @staticmethod
    def of(state: StateType, at: datetime) -> State:
        return State(state, (History(state, at),))

    def with_state(self, state: StateType, at: datetime) -> State:
        """Kestra's `withState`: the same state twice adds no history entry."""
        if state == self.current:
            return self
        return State(state, (*self.histories, History(state, at)))

    @property
    def start_date(self) -> datetime:
        return self.histories[0].date

    @property
    def end_date(self) -> datetime | None:
        if self.current.terminated or self.current == StateType.PAUSED:
            return self.histories[-1].date
        return None

    def count(self, state: StateType) -> int:
        return sum(1 for h in self.histories if h.state == state)
