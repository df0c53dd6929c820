"""TaskRunContext: the task API's RunContext for one task run, over its variables and the port services."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from msgspec import Struct, field

from engine.expressions import ExpressionError, Renderer
from engine.expressions.errors import EvalError
from engine.kv import NamespaceKV
from engine.model.execution import TaskRun
from engine.model.files import (
    FOLDER_MARKER,
    belongs_to,
    execution_prefix,
    flow_prefix,
    kestra_path,
    namespace_file_uri,
    slugify,
)
from engine.model.logs import LogEntry
from engine.resources import (
    AwsConnection,
    AwsError,
    Executions,
    FunctionError,
    HttpError,
    HttpResponse,
    NotFoundError,
    ProcessError,
    Processes,
    ProcessResult,
)
from engine.runtime.live_logs import LiveLogs
from engine.runtime.port_services import PortServices
from engine.task_api import PropertyRenderError, RunnableTask, TaskBase, TaskFailedError


class TaskRunContext(Struct):
    task_run: TaskRun
    variables: Mapping[str, Any]
    renderer: Renderer
    services: PortServices
    logs: list[LogEntry] = field(default_factory=list)
    warned: bool = False
    # A WorkingDirectory's: the directory its processes share, the child runs it ran (in order), and how a
    # child is run (run_attempt's, handed in: this module is below it).
    workspace: str | None = None
    children: list[TaskRun] = field(default_factory=list)
    child_runner: Callable[[TaskRunContext, RunnableTask], TaskRun] | None = None
    # On a worker: the lines shown while the attempt runs.
    live: LiveLogs | None = None

    def now(self) -> datetime:
        return self.services.now()

    def render(self, template: str, prop: str) -> str:
        try:
            return self.renderer.render(template, self.variables, self.services)
        except ExpressionError as exc:
            raise self._error(prop, exc) from None

    def render_typed(self, template: str, prop: str) -> Any:
        try:
            return self.renderer.render_typed(template, self.variables, self.services)
        except ExpressionError as exc:
            raise self._error(prop, exc) from None

    def render_value(self, value: Any, prop: str) -> Any:
        try:
            return self.renderer.render_value(value, self.variables, self.services)
        except ExpressionError as exc:
            raise self._error(prop, exc) from None

    def render_with(self, template: str, prop: str, extra: Mapping[str, Any]) -> str:
        try:
            return self.renderer.render(template, {**self.variables, **extra}, self.services)
        except ExpressionError as exc:
            raise self._error(prop, exc) from None

    def evaluate(self, expression: str) -> str:
        return self.renderer.render(expression, self.variables, self.services)

    def _error(self, prop: str, exc: ExpressionError) -> PropertyRenderError:
        return PropertyRenderError(
            f"Unable to render property '{prop}' of task '{self.task_run.task_id}': {exc}"
        )

    def log(self, level: str, message: str) -> None:
        entry = LogEntry(
            execution_id=self.task_run.execution_id,
            level=level,
            message=self.services.mask(message),
            timestamp=self.now(),
            task_run_id=self.task_run.id,
            task_id=self.task_run.task_id,
            attempt_number=max(self.task_run.attempt_number - 1, 0),
        )
        self.logs.append(entry)
        if self.live is not None:
            self.live.add(entry)

    def warn(self) -> None:
        self.warned = True

    def execution_logs(self, execution_id: str | None = None) -> list[LogEntry]:
        if execution_id is None or execution_id == self.task_run.execution_id:
            return list(self.services.execution_logs())
        if self.services.stored_logs is None:
            raise TaskFailedError("Another execution's logs are read on a worker only")
        return list(self.services.stored_logs(execution_id))

    def executions(self) -> Executions:
        executions = self.services.resources.executions
        if executions is None:
            raise TaskFailedError("Other executions cannot be reached here")
        return executions

    def aws(
        self, connection: AwsConnection, service: str, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        aws = self.services.resources.aws
        if aws is None:
            raise TaskFailedError("AWS tasks cannot run here")
        try:
            return aws.call(connection, service, operation, params)
        except AwsError as exc:
            raise TaskFailedError(str(exc)) from None

    def invoke_function(self, connection: AwsConnection, name: str, payload: Mapping[str, Any]) -> bytes:
        functions = self.services.resources.functions
        if functions is None:
            raise TaskFailedError("Functions cannot be invoked here")
        try:
            return functions.invoke(connection, name, payload)
        except FunctionError as exc:
            raise TaskFailedError(str(exc)) from None

    def kv(self, namespace: str) -> NamespaceKV:
        return self.services.namespace_kv(namespace)

    def kv_namespaces(self) -> list[str]:
        return self.services.resources.kv.namespaces()

    def secret(self, key: str) -> str:
        try:
            return self.services.secret(key)
        except EvalError as exc:
            raise TaskFailedError(str(exc)) from None

    def set_trigger_enabled(self, namespace: str, flow_id: str, trigger_id: str, enabled: bool) -> None:
        triggers = self.services.resources.triggers
        if triggers is None:
            raise TaskFailedError("Triggers cannot be switched here")
        try:
            triggers.set_enabled(namespace, flow_id, trigger_id, enabled)
        except NotFoundError as exc:
            raise TaskFailedError(str(exc)) from None

    def http(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        try:
            return self.services.resources.http.request(method, url, headers, body, timeout)
        except HttpError as exc:
            raise TaskFailedError(str(exc)) from None

    def download(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeout: float,
        *,
        name_for: Callable[[int, dict[str, str]], str],
    ) -> tuple[int, dict[str, str], str, int]:
        resources = self.services.resources
        try:
            with resources.http.stream(method, url, headers, body, timeout) as response:
                path = self._file_path(name_for(response.status, response.headers))
                uri, size = resources.storage.put_chunks(path, response.chunks)
        except HttpError as exc:
            raise TaskFailedError(str(exc)) from None
        return response.status, response.headers, uri, size

    def run_process(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        files: Mapping[str, bytes],
        outputs: Sequence[str],
        timeout: float,
        on_line: Callable[[str, str], None] | None = None,
    ) -> ProcessResult:
        processes = self._processes()
        listener = _Listener(on_line, self.live)
        try:
            return processes.run(
                command,
                env=env,
                files=files,
                outputs=outputs,
                timeout=timeout,
                workspace=self.workspace,
                listener=listener,
            )
        except ProcessError as exc:
            raise TaskFailedError(str(exc)) from None

    @contextmanager
    def working_directory(self) -> Iterator[str]:
        with self._processes().workspace() as folder:
            self.workspace = folder
            try:
                yield folder
            finally:
                self.workspace = None

    def write_files(self, files: Mapping[str, bytes]) -> None:
        try:
            self._processes().write(self._workspace(), files)
        except ProcessError as exc:
            raise TaskFailedError(str(exc)) from None

    def collect_files(self, patterns: Sequence[str]) -> dict[str, bytes]:
        try:
            return self._processes().collect(self._workspace(), patterns)
        except ProcessError as exc:
            raise TaskFailedError(str(exc)) from None

    def run_child(self, task: TaskBase) -> TaskRun:
        if self.child_runner is None or not isinstance(task, RunnableTask):
            raise TaskFailedError(f"Task '{task.id}' cannot run as a child here")
        child = self.child_runner(self, task)
        self.children.append(child)
        return child

    def _processes(self) -> Processes:
        processes = self.services.resources.processes
        if processes is None:
            raise TaskFailedError("Script tasks cannot run here: no process runner")
        return processes

    def _workspace(self) -> str:
        if self.workspace is None:
            raise TaskFailedError("No working directory here: this task runs inside a WorkingDirectory")
        return self.workspace

    def namespace_files(self, namespace: str) -> dict[str, bytes]:
        storage = self.services.resources.storage
        prefix = namespace_file_uri(namespace, "/")
        return {
            stored.uri.removeprefix(prefix): storage.get(stored.uri)
            for stored in storage.list(prefix)
            if not stored.uri.endswith("/" + FOLDER_MARKER)
        }

    def put_namespace_file(self, namespace: str, path: str, data: bytes) -> str:
        return self.services.resources.storage.put(kestra_path(self._namespace_uri(namespace, path)), data)

    def delete_namespace_file(self, namespace: str, path: str) -> bool:
        return self.services.resources.storage.delete(self._namespace_uri(namespace, path))

    def _namespace_uri(self, namespace: str, path: str) -> str:
        try:
            return namespace_file_uri(namespace, path)
        except ValueError as exc:
            raise TaskFailedError(str(exc)) from None

    def cache_file(self, ttl: timedelta | None) -> bytes | None:
        storage = self.services.resources.storage
        found = [stored for stored in storage.list(self._cache_uri()) if stored.uri == self._cache_uri()]
        if not found:
            return None
        modified = found[0].modified
        if ttl is not None and modified is not None and modified + ttl < self.now():
            return None
        return storage.get(found[0].uri)

    def put_cache_file(self, data: bytes) -> str:
        return self.services.resources.storage.put(kestra_path(self._cache_uri()), data)

    def _cache_uri(self) -> str:
        """Kestra's place for a task's cache: beside the flow's executions, by task and loop value."""
        run = self.task_run
        value = f"{slugify(run.value)}/" if run.value else ""
        return f"{flow_prefix(run.namespace, run.flow_id)}{run.task_id}/cache/{value}cache.zip"

    def put_file(self, name: str, data: bytes) -> str:
        """Under the task run's folder, as Kestra's `storage().putFile`: one name (a relative path), one file
        per task run."""
        return self.services.resources.storage.put(self._file_path(name), data)

    def _file_path(self, name: str) -> str:
        """Where the task run's file `name` goes: one name (a relative path), one file per task run."""
        parts = name.split("/")
        if not name or name.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise TaskFailedError(f"Invalid file name '{name}'")
        run = self.task_run
        folder = execution_prefix(run.namespace, run.flow_id, run.execution_id)
        return kestra_path(f"{folder}tasks/{run.task_id}/{run.id}/{name}")

    def file_size(self, uri: str) -> int:
        try:
            return self.services.file_size(uri)
        except EvalError as exc:
            raise TaskFailedError(str(exc)) from None

    def delete_file(self, uri: str) -> bool:
        run = self.task_run
        if not belongs_to(uri, execution_prefix(run.namespace, run.flow_id, run.execution_id)):
            raise TaskFailedError(
                f"Unable to delete the file '{uri}' as it didn't belong to the current execution"
            )
        return self.services.resources.storage.delete(uri)

    def purge_execution_files(self) -> list[str]:
        run = self.task_run
        storage = self.services.resources.storage
        found = storage.list(execution_prefix(run.namespace, run.flow_id, run.execution_id))
        return [stored.uri for stored in found if storage.delete(stored.uri)]

    def list_files(self, prefix: str) -> list[str]:
        run = self.task_run
        if not belongs_to(prefix, execution_prefix(run.namespace, run.flow_id, run.execution_id)):
            raise TaskFailedError(f"Unable to list '{prefix}': not a folder of the current execution")
        return [stored.uri for stored in self.services.resources.storage.list(prefix)]

    def read_file(self, uri: str) -> bytes:
        try:
            return self.services.read_bytes(uri)
        except EvalError as exc:
            raise TaskFailedError(str(exc)) from None


class _Listener(Struct, frozen=True):
    """A process's lines to the task, and its quiet moments to the live log lines (written on time)."""

    on_line: Callable[[str, str], None] | None
    live: LiveLogs | None

    def line(self, stream: str, text: str) -> None:
        if self.on_line is not None:
            self.on_line(stream, text)

    def idle(self) -> None:
        if self.live is not None:
            self.live.tick()
