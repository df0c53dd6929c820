"""The two ways the runner drives Kite: the real pipeline on moto, or the same services in memory.

Both are built fresh per case, so no flow, execution or KV entry leaks from one case into the next.
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from engine.creation.uploads import Upload
from engine.model.execution import Execution
from engine.model.logs import LogEntry
from engine.ports import QueueName
from engine.services.app import Services

# Wall-clock budget per execution (README: 60 s covers every case).
TIMEOUT_S = 60.0


class NotTerminatedError(Exception):
    """The execution (or the condition awaited) did not come about: stalled or out of time."""


class Backend(Protocol):
    name: str

    @property
    def services(self) -> Services: ...

    def deploy(self, source: str, filename: str) -> tuple[str, str]:
        """Deploy a flow; its namespace and id."""
        ...

    def create(
        self,
        namespace: str,
        flow_id: str,
        inputs: Mapping[str, Any],
        files: Mapping[str, Upload],
        labels: Sequence[tuple[str, str]],
    ) -> Execution: ...

    def wait_until(self, condition: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
        """Run the engine until `condition()` holds, jumping the virtual clock to the next timer only when
        nothing else can move (so a wait for PAUSED stops before the pause's timer); NotTerminatedError
        when it cannot."""
        ...

    def advance(self, delta: timedelta) -> None:
        """Let `delta` pass on the virtual clock, delivering what comes due on the way; never sleeps."""
        ...

    def executions(self) -> list[Execution]:
        """Every execution of the case, with its task runs."""
        ...

    def ready(self) -> bool:
        """A message could be delivered now (a child about to be created, a notice on its way)."""
        ...

    def logs(self, execution_id: str) -> list[LogEntry]: ...

    def http(self) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        """The stack's HTTP API function (it takes API Gateway's v2 events), or None without one."""
        ...

    def resume(self, execution_id: str, inputs: Mapping[str, Any], files: Mapping[str, Upload]) -> None: ...

    def kill(self, execution_id: str) -> None: ...

    def restart(self, execution_id: str) -> None: ...


class _Common(ABC):
    @property
    @abstractmethod
    def services(self) -> Services:
        """The services of the backend's stack."""

    def create(
        self,
        namespace: str,
        flow_id: str,
        inputs: Mapping[str, Any],
        files: Mapping[str, Upload],
        labels: Sequence[tuple[str, str]],
    ) -> Execution:
        return self.services.executions.create(namespace, flow_id, inputs, labels, files=files)

    def resume(self, execution_id: str, inputs: Mapping[str, Any], files: Mapping[str, Upload]) -> None:
        self.services.executions.resume(execution_id, inputs, files)

    def kill(self, execution_id: str) -> None:
        self.services.executions.kill(execution_id)

    def restart(self, execution_id: str) -> None:
        self.services.executions.restart(execution_id)

    def executions(self) -> list[Execution]:
        # search() gives headers only; the checks need the task runs.
        headers = self.services.store.search()
        return [self.services.executions.get(e.id) for e in reversed(headers)]

    def logs(self, execution_id: str) -> list[LogEntry]:
        return self.services.executions.logs(execution_id)

    def advance(self, delta: timedelta) -> None:
        target = self.services.clock.now() + delta
        deadline = time.monotonic() + TIMEOUT_S
        self._deliver_due()
        while (due := self._next_due()) is not None and due <= target:
            if time.monotonic() > deadline:
                raise NotTerminatedError(f"timers keep coming due within {delta}")
            self._jump(due)
            self._deliver_due()
        self._jump(target)
        self._deliver_due()

    @abstractmethod
    def _deliver_due(self) -> None:
        """Deliver every message due now, without moving the clock."""

    @abstractmethod
    def _next_due(self) -> datetime | None:
        """When the next pending timer comes due."""

    @abstractmethod
    def _jump(self, at: datetime) -> None:
        """Move the virtual clock forward to `at` (never backwards)."""


class MotoBackend(_Common):
    """LocalKite: the Lambda handlers behind the SQS pump, on a virtual clock that jumps to the next timer."""

    name = "moto"

    def __init__(self, kite: Any) -> None:
        self.kite = kite

    @property
    def services(self) -> Services:
        return self.kite.services  # type: ignore[no-any-return]

    def deploy(self, source: str, filename: str) -> tuple[str, str]:
        record, _ = self.kite.deploy(source, filename)
        return record.namespace, record.id

    def wait_until(self, condition: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
        from infra.embedded.pump import PumpTimeoutError

        pump = self.kite.pump
        stats = self.kite.stack.stats
        try:
            # Reads made to decide whether to go on are the runner's, not the engine's.
            pump.run_until(lambda: _quietly(stats, condition), timeout_s)
        except PumpTimeoutError as exc:
            raise NotTerminatedError(str(exc)) from exc

    def ready(self) -> bool:
        return self.kite.pump.ready()  # type: ignore[no-any-return]

    def http(self) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        from infra.embedded.pump import template_handler

        function = next(f for f in self.kite.stack.template.functions if f.http)
        handler = template_handler(function)
        return lambda event: handler(event, None)  # type: ignore[no-any-return]

    def _deliver_due(self) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while self.kite.pump.step():
            if time.monotonic() > deadline:
                raise NotTerminatedError(f"messages kept coming for {TIMEOUT_S} s (wall clock)")

    def _next_due(self) -> datetime | None:
        return self.kite.pump.next_due()  # type: ignore[no-any-return]

    def _jump(self, at: datetime) -> None:
        from infra.embedded.pump import PAST_DUE

        self.kite.clock.advance_to(at + PAST_DUE)


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

    def deploy(self, source: str, filename: str) -> tuple[str, str]:
        record, _ = self.runner.services.flows.deploy(source, filename)
        return record.namespace, record.id

    def wait_until(self, condition: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
        # As the pump does: deliver what is due, and only when that is not enough jump to the next timer.
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise NotTerminatedError(f"condition not met within {timeout_s} s (wall clock)")
            self._deliver_due()
            if condition():
                return
            due = self._next_due()
            if due is None:
                raise NotTerminatedError("nothing left to deliver and the condition does not hold")
            self._jump(due)

    def http(self) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        return None  # the in-memory twin has no API function

    def ready(self) -> bool:
        bus, now = self.runner.bus, self.runner.clock.now()
        due = [m for m in bus.sent[QueueName.TIMER] if m.deliver_at is None or m.deliver_at <= now]
        return bool(bus.sent[QueueName.DISPATCH] or bus.sent[QueueName.WORKER] or due)

    def _deliver_due(self) -> None:
        try:
            self.runner.drain_now()
        except RuntimeError as exc:
            raise NotTerminatedError(str(exc)) from exc

    def _next_due(self) -> datetime | None:
        timers = self.runner.bus.sent[QueueName.TIMER]
        return min((m.deliver_at for m in timers if m.deliver_at is not None), default=None)

    def _jump(self, at: datetime) -> None:
        self.runner.clock.set(max(self.runner.clock.now(), at))


class HttpBackend(MotoBackend):
    """`kite serve`: the same stack, with every flow deployed, execution created, command given and webhook
    called through the REST API over HTTP, and every fact read back through it. The runner pumps, so that
    the virtual clock still jumps only when nothing else can move."""

    name = "http"

    def __init__(self, kite: Any, url: str) -> None:
        super().__init__(kite)
        from infra.cli.remote import Server

        self.server = Server(url)

    def deploy(self, source: str, filename: str) -> tuple[str, str]:
        created = self.server.request(
            "POST", "/flows", body=source.encode(), content_type="application/x-yaml"
        )
        return str(created["namespace"]), str(created["id"])

    def create(
        self,
        namespace: str,
        flow_id: str,
        inputs: Mapping[str, Any],
        files: Mapping[str, Upload],
        labels: Sequence[tuple[str, str]],
    ) -> Execution:
        return self.server.start(namespace, flow_id, inputs, labels, files)

    def resume(self, execution_id: str, inputs: Mapping[str, Any], files: Mapping[str, Upload]) -> None:
        from infra.cli.remote import multipart

        body, content_type = multipart(inputs, files)
        self.server.request(
            "POST", f"/executions/{execution_id}/resume", body=body, content_type=content_type
        )

    def kill(self, execution_id: str) -> None:
        self.server.request("DELETE", f"/executions/{execution_id}/kill")

    def restart(self, execution_id: str) -> None:
        self.server.request("POST", f"/executions/{execution_id}/restart")

    def executions(self) -> list[Execution]:
        from engine.model.serde import execution_from_json

        page = self.server.request("GET", "/executions/search", query=[("size", "100000")])
        # Oldest first, as the other backends give them.
        return [
            execution_from_json(self.server.request("GET", f"/executions/{e['id']}"))
            for e in reversed(page["results"])
        ]

    def logs(self, execution_id: str) -> list[LogEntry]:
        from engine.model.serde import log_from_json

        return [log_from_json(entry) for entry in self.server.logs(execution_id)]

    def http(self) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        return self._over_http

    def _over_http(self, event: dict[str, Any]) -> dict[str, Any]:
        """An API Gateway event sent as the HTTP request it stands for; the answer in the event's shape."""
        import base64
        import urllib.error
        import urllib.request

        target = self.server.url.rstrip("/") + event["rawPath"]
        if event.get("rawQueryString"):
            target += "?" + event["rawQueryString"]
        body = base64.b64decode(event["body"]) if event.get("body") else None
        method = event["requestContext"]["http"]["method"]
        request = urllib.request.Request(target, data=body, method=method, headers=event.get("headers") or {})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                status, headers, raw = response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            status, headers, raw = error.code, dict(error.headers.items()), error.read()
        return {"statusCode": status, "headers": headers, "body": raw.decode(), "isBase64Encoded": False}


@contextlib.contextmanager
def open_backend(name: str) -> Iterator[Backend]:
    if name == "http":
        from functions.api import auth
        from infra.embedded.local import LocalKite
        from infra.embedded.server import LocalServer

        with (
            contextlib.ExitStack() as stack,
            LocalKite(fast_forward=True) as kite,
            LocalServer(kite, "127.0.0.1", 0, pump=False) as server,
        ):
            stack.enter_context(_environment(auth.OPEN_ENV, "true"))  # as `kite serve` on loopback
            yield HttpBackend(kite, server.url)
    elif name == "moto":
        from infra.embedded.local import LocalKite

        with LocalKite(fast_forward=True) as kite:
            yield MotoBackend(kite)
    elif name == "memory":
        from engine.memory.runner import InMemoryRunner

        yield MemoryBackend(InMemoryRunner())
    else:
        raise ValueError(f"unknown backend {name!r}")


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    import os

    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved
