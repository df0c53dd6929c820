"""The two ways the runner drives Kite: the real pipeline on moto, or the same services in memory.

Both are built fresh per case, so no flow, execution or KV entry leaks from one case into the next.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from kite.engine.model.execution import Execution
from kite.engine.ports import LogEntry
from kite.engine.services.app import Services

# Wall-clock budget per execution (README: 60 s covers every case).
TIMEOUT_S = 60.0


class NotTerminatedError(Exception):
    """The execution (or the condition awaited) did not come about: stalled or out of time."""


class Backend(Protocol):
    name: str

    @property
    def services(self) -> Services: ...

    def deploy(self, source: str, filename: str) -> None: ...

    def create(
        self, namespace: str, flow_id: str, inputs: Mapping[str, Any], labels: Sequence[tuple[str, str]]
    ) -> Execution: ...

    def wait_until(self, condition: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
        """Run the engine until `condition()` holds; NotTerminatedError when it cannot."""
        ...

    def executions(self) -> list[Execution]:
        """Every execution of the case, with its task runs."""
        ...

    def logs(self, execution_id: str) -> list[LogEntry]: ...


class _Common(ABC):
    @property
    @abstractmethod
    def services(self) -> Services:
        """The services of the backend's stack."""

    def create(
        self, namespace: str, flow_id: str, inputs: Mapping[str, Any], labels: Sequence[tuple[str, str]]
    ) -> Execution:
        return self.services.executions.create(namespace, flow_id, inputs, labels)

    def executions(self) -> list[Execution]:
        # search() gives headers only; the checks need the task runs.
        headers = self.services.store.search()
        return [self.services.executions.get(e.id) for e in reversed(headers)]

    def logs(self, execution_id: str) -> list[LogEntry]:
        return self.services.executions.logs(execution_id)


class MotoBackend(_Common):
    """LocalKite: the Lambda handlers behind the SQS pump, on a virtual clock that jumps to the next timer."""

    name = "moto"

    def __init__(self, kite: Any) -> None:
        self.kite = kite

    @property
    def services(self) -> Services:
        return self.kite.services  # type: ignore[no-any-return]

    def deploy(self, source: str, filename: str) -> None:
        self.kite.deploy(source, filename)

    def wait_until(self, condition: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
        from kite.infra.embedded.pump import PumpTimeoutError

        pump = self.kite.pump
        stats = self.kite.stack.stats
        try:
            # Reads made to decide whether to go on are the runner's, not the engine's.
            pump.run_until(lambda: _quietly(stats, condition), timeout_s)
        except PumpTimeoutError as exc:
            raise NotTerminatedError(str(exc)) from exc


def _quietly(stats: Any, condition: Callable[[], bool]) -> bool:
    with stats.paused():
        return condition()


class MemoryBackend(_Common):
    """InMemoryRunner: queues are lists and time a manual clock; drain() runs everything that can run."""

    name = "memory"

    def __init__(self, runner: Any) -> None:
        self.runner = runner

    @property
    def services(self) -> Services:
        return self.runner.services  # type: ignore[no-any-return]

    def deploy(self, source: str, filename: str) -> None:
        self.runner.services.flows.deploy(source, filename)

    def wait_until(self, condition: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
        try:
            self.runner.drain()
        except RuntimeError as exc:
            raise NotTerminatedError(str(exc)) from exc
        if not condition():
            raise NotTerminatedError("nothing left to deliver and the condition does not hold")


@contextlib.contextmanager
def open_backend(name: str) -> Iterator[Backend]:
    if name == "moto":
        from kite.infra.local import LocalKite

        with LocalKite(fast_forward=True) as kite:
            yield MotoBackend(kite)
    elif name == "memory":
        from kite.engine.memory.runner import InMemoryRunner

        yield MemoryBackend(InMemoryRunner())
    else:
        raise ValueError(f"unknown backend {name!r}")
