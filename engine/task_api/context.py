"""RunContext: what a task sees while it runs — on a worker, inline in the dispatcher, or applied by the
executor (execution tasks). `engine.runtime.run_context` implements it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from engine.kv import NamespaceKV
from engine.model.execution import TaskRun
from engine.model.logs import LogEntry
from engine.resources import AwsConnection, Executions, HttpResponse, ProcessResult
from engine.task_api.task import TaskBase


class RunContext(Protocol):
    @property
    def task_run(self) -> TaskRun:
        """The task run this attempt belongs to."""
        ...

    def now(self) -> datetime: ...

    def render(self, template: str, prop: str) -> str:
        """A property rendered as text; a failure raises PropertyRenderError naming the task and `prop`."""
        ...

    def render_typed(self, template: str, prop: str) -> Any:
        """A property that is one expression keeps its value's type (a list stays a list)."""
        ...

    def render_value(self, value: Any, prop: str) -> Any:
        """A map or list property rendered element by element."""
        ...

    def render_with(self, template: str, prop: str, extra: Mapping[str, Any]) -> str:
        """Rendered with `extra` variables over the task's (a row's fields, say)."""
        ...

    def evaluate(self, expression: str) -> str:
        """Render `expression` and let its ExpressionError through, unwrapped (Assert logs it as is)."""
        ...

    def log(self, level: str, message: str) -> None:
        """A line in the task run's logs; secrets and SECRET inputs are masked."""
        ...

    def warn(self) -> None:
        """The attempt ends WARNING rather than SUCCESS (a script that wrote to stderr, say)."""
        ...

    def execution_logs(self, execution_id: str | None = None) -> list[LogEntry]:
        """The log lines stored so far of this execution, or of another one."""
        ...

    def executions(self) -> Executions:
        """Other executions (search, resume, purge); TaskFailedError where they cannot be reached."""
        ...

    def aws(
        self, connection: AwsConnection, service: str, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """One AWS API call; TaskFailedError with AWS's code and message when it fails."""
        ...

    def invoke_function(self, connection: AwsConnection, name: str, payload: Mapping[str, Any]) -> bytes:
        """A Lambda function's response; TaskFailedError with its message when it failed."""
        ...

    def kv(self, namespace: str) -> NamespaceKV:
        """The KV pairs of `namespace`."""
        ...

    def kv_namespaces(self) -> list[str]:
        """The namespaces that have KV pairs, sorted."""
        ...

    def secret(self, key: str) -> str:
        """The secret visible from the flow's namespace; masked in every later log line."""
        ...

    def set_trigger_enabled(self, namespace: str, flow_id: str, trigger_id: str, enabled: bool) -> None:
        """Enable or disable a flow's trigger; TaskFailedError when there is no such flow or trigger."""
        ...

    def http(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        """One HTTP request, under the same address policy as the http() function; TaskFailedError when it
        cannot be made."""
        ...

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
        """A request whose response body goes, as it comes and whatever its size, into the task run's
        storage under the name `name_for(status, headers)` gives (which may raise TaskFailedError to refuse
        the response); the status, headers, kestra:// URI and size."""
        ...

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
        """A script's process (Kestra's Process task runner); TaskFailedError when it cannot run here.
        `on_line(stream, text)` hears each line as it comes; what it logs shows while the process runs."""
        ...

    def working_directory(self) -> AbstractContextManager[str]:
        """A directory the block's processes, files and child runs share (a WorkingDirectory's)."""
        ...

    def write_files(self, files: Mapping[str, bytes]) -> None:
        """Into the working directory of the enclosing `working_directory()`."""
        ...

    def collect_files(self, patterns: Sequence[str]) -> dict[str, bytes]:
        """The files of the working directory the globs match."""
        ...

    def run_child(self, task: TaskBase) -> TaskRun:
        """Run a child task (a runnable one) here, in this worker and this working directory: its finished
        task run, which the execution shows under this one."""
        ...

    def namespace_files(self, namespace: str) -> dict[str, bytes]:
        """The namespace's files, by path."""
        ...

    def put_namespace_file(self, namespace: str, path: str, data: bytes) -> str:
        """Write a namespace file; its URI."""
        ...

    def delete_namespace_file(self, namespace: str, path: str) -> bool: ...

    def cache_file(self, ttl: timedelta | None) -> bytes | None:
        """This task's cache (one per flow, task and loop value, kept across executions), unless it is
        older than `ttl`."""
        ...

    def put_cache_file(self, data: bytes) -> str:
        """Replace this task's cache; its URI."""
        ...

    def put_file(self, name: str, data: bytes) -> str:
        """Store a file in the task run's internal storage; returns its kestra:// URI."""
        ...

    def file_size(self, uri: str) -> int:
        """A readable file's size; TaskFailedError when it is not there or not this execution's."""
        ...

    def delete_file(self, uri: str) -> bool:
        """Remove a file of this execution; False when there was none."""
        ...

    def purge_execution_files(self) -> list[str]:
        """Remove every file of this execution; their URIs."""
        ...

    def list_files(self, prefix: str) -> list[str]:
        """The URIs of this execution's files under `prefix`, sorted."""
        ...

    def read_file(self, uri: str) -> bytes:
        """A file of this execution, of its namespace or of the execution that triggered it."""
        ...
