"""Kite on one machine: the embedded stack (moto), the real Lambda handlers and the pump.

This is what `kite run` and the functional tests drive: the same dispatcher and worker handlers, the same
DynamoDB/SQS/S3/Scheduler adapters as in the cloud, with moto in place of AWS.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from engine.creation.uploads import Upload
from engine.flow.model import Flow
from engine.model.execution import Execution
from engine.model.files import kestra_path, namespace_file_uri
from engine.model.state import StateType
from engine.ports import FlowRecord
from engine.resources import Clock, IdGenerator
from engine.services.app import Services
from functions import app
from infra.embedded.clock import SystemClock, VirtualClock
from infra.embedded.pump import Handler, Pump, template_handler
from infra.embedded.stack import EmbeddedStack

FLOW_SUFFIXES = (".yaml", ".yml")


Wrapper = Callable[[Handler], Handler]


class LocalKite:
    """`wrap` lets fault tests stand between the pump and a function's real handler, by the function's
    logical id in template.yaml (`{"DispatcherFunction": twice}`)."""

    def __init__(
        self,
        *,
        fast_forward: bool = True,
        start: datetime | None = None,
        inline_budget: int = 500,
        wrap: Mapping[str, Wrapper] | None = None,
        environ: Mapping[str, str] | None = None,
        ids: IdGenerator | None = None,
        tick: bool = True,
        schedules: bool = True,
        functions: Mapping[str, Handler] | None = None,
    ) -> None:
        self.fast_forward = fast_forward
        # Where secrets (`SECRET_*`), `envs` and globals come from, as in Lambda: the process environment.
        self.environ = os.environ if environ is None else environ
        self.start = start
        self.inline_budget = inline_budget
        self.wrap = dict(wrap or {})
        self.ids = ids
        # With `tick`, virtual time also runs with real time between jumps; without, only jumps move it
        # (a seeded simulation replays exactly).
        self.tick = tick
        # Without, Schedule triggers' recurring schedules never fire (EventBridge Scheduler is off).
        self.schedules = schedules
        # Lambda functions run in-process by name (moto runs no Lambda code): `kite run --function`.
        self.functions = dict(functions or {})
        # The embedded stack lives and dies with the process, and so does the key of SECRET inputs.
        self._encryption_key = os.urandom(32) if ids is None else ids.random_bytes(32)
        self.invocations = 0
        self._exit = ExitStack()
        self.clock: Clock = SystemClock()
        self.stack: EmbeddedStack | None = None
        self.pump: Pump | None = None

    def __enter__(self) -> LocalKite:
        try:
            if self.fast_forward:
                start = self.start or datetime.now(UTC)
                self.clock = self._exit.enter_context(VirtualClock(start, tick=self.tick))
            self.stack = self._exit.enter_context(EmbeddedStack(clock=self.clock))
            self._install_app()
            self._exit.callback(app.install, None)
            handlers: dict[str, Handler] = {}
            for function in self.stack.template.functions:
                handler = template_handler(function)
                wrap = self.wrap.get(function.logical_id)
                handlers[function.logical_id] = self._counted(wrap(handler) if wrap else handler)
            unknown = set(self.wrap) - set(handlers)
            if unknown:
                raise ValueError(f"template.yaml declares no {', '.join(sorted(unknown))}")
            self.pump = Pump(self.stack, self.clock, handlers, recurring=self.schedules)
        except BaseException:
            self._exit.close()
            raise
        return self

    def _install_app(self) -> None:
        assert self.stack is not None
        app.install(
            app.build(
                self.stack.settings,
                self.stack.session,
                self.clock,
                self.environ,
                inline_budget=self.inline_budget,
                allow_loopback=True,
                encryption_key=self._encryption_key,
                ids=self.ids,
                local_functions=self.functions,
            )
        )

    def cold_start(self) -> None:
        """The functions lose what they keep between invocations (a new Lambda container): the same
        adapters, fresh services."""
        self._install_app()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._exit.close()

    def _counted(self, handler: Handler) -> Handler:
        def invoke(event: dict[str, Any], context: Any) -> Any:
            self.invocations += 1
            return handler(event, context)

        return invoke

    @property
    def services(self) -> Services:
        return app.current().services

    def deploy(self, source: str, filename: str = "<flow>") -> tuple[FlowRecord, Flow]:
        return self.services.flows.deploy(source, filename)

    def deploy_dir(self, directory: Path) -> list[FlowRecord]:
        return [
            self.deploy(path.read_text(), str(path))[0]
            for path in sorted(directory.iterdir())
            if path.suffix in FLOW_SUFFIXES and path.is_file()
        ]

    def upload_namespace_files(self, namespace: str, directory: Path) -> list[str]:
        """Store every file under `directory` as a namespace file (what `read()` and `fileURI()` see)."""
        storage = self.services.resources.storage
        return [
            storage.put(
                kestra_path(namespace_file_uri(namespace, path.relative_to(directory).as_posix())),
                path.read_bytes(),
            )
            for path in sorted(directory.rglob("*"))
            if path.is_file()
        ]

    def start_execution(
        self,
        namespace: str,
        flow_id: str,
        inputs: Mapping[str, Any] | None = None,
        labels: Sequence[tuple[str, str]] = (),
        files: Mapping[str, Upload] | None = None,
    ) -> Execution:
        return self.services.executions.create(namespace, flow_id, inputs, labels, files=files)

    def wait(
        self,
        execution_id: str,
        timeout_s: float = 120.0,
        on_change: Callable[[Execution], None] | None = None,
        *,
        until_paused: bool = False,
    ) -> Execution:
        """Pump until the execution is fully terminated (afterExecution included); with `until_paused`, or
        until it is PAUSED with nothing left that could resume it (a pause without a delay waits for
        someone)."""
        pump = self.pump
        assert pump is not None, "use LocalKite as a context manager"
        latest: list[Execution] = []

        stack = self.stack
        assert stack is not None

        store = self.services.store

        def done() -> bool:
            # The head alone while the execution runs: loading every task run each round would cost the
            # observer more than the pipeline it watches (a large ForEach).
            with stack.stats.paused():
                head = store.head(execution_id)
                if until_paused and head is not None and head.state == StateType.PAUSED and pump.idle():
                    latest[:] = [self.services.executions.get(execution_id)]
                    return True
                seen = latest[0].version if latest else None
                if head is None or head.version == seen or (on_change is None and not head.state.terminated):
                    return False
                execution = self.services.executions.get(execution_id)
            if on_change is not None:
                on_change(execution)
            latest[:] = [execution]
            return self.services.executions.fully_terminated(execution)

        pump.run_until(done, timeout_s)
        return latest[0] if latest else self.services.executions.get(execution_id)

    def run(
        self,
        namespace: str,
        flow_id: str,
        inputs: Mapping[str, Any] | None = None,
        labels: Sequence[tuple[str, str]] = (),
        timeout_s: float = 120.0,
    ) -> Execution:
        execution = self.start_execution(namespace, flow_id, inputs, labels)
        return self.wait(execution.id, timeout_s)
