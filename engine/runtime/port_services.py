"""PortServices: what expressions and tasks may ask of the outside world, answered by the ports.

One instance serves one execution (its namespace, flow and id scope every lookup). It also knows the
values that log lines must not show, and masks them the way Kestra does: the execution's SECRET inputs,
and the secrets it handed out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from msgspec import Struct, field

from engine.config import EngineConfig
from engine.creation.secret_inputs import value_at
from engine.expressions.errors import EvalError
from engine.kv import KVError, NamespaceKV
from engine.model.files import belongs_to, execution_prefix, namespace_file_uri
from engine.model.logs import LogEntry
from engine.model.serde import log_to_json
from engine.resources import (
    Clock,
    HttpError,
    HttpResponse,
    IdGenerator,
    LimitsExceededError,
    NotFoundError,
    Resources,
)
from engine.task_api import Input

MASK = "******"
# Per connection attempt and per read: one http() call must not hold a worker for long.
HTTP_TIMEOUT_SECONDS = 30.0
# A jq program's time and memory, well inside a step's (issue 12).
SANDBOX_SECONDS = 5.0
SANDBOX_MEMORY = 256 * 1024 * 1024


class Scope(Struct, frozen=True):
    """The execution an expression runs for, and the execution that triggered it (whose files it may read)."""

    namespace: str
    flow_id: str
    execution_id: str
    parent: tuple[str, str, str] | None = None

    @staticmethod
    def of(namespace: str, flow_id: str, execution_id: str, trigger: Mapping[str, Any] | None) -> Scope:
        """`trigger` is the `trigger` variable: a Flow trigger's names the execution that started this one."""
        parent = None
        if trigger and all(isinstance(trigger.get(k), str) for k in ("namespace", "flowId", "executionId")):
            parent = (trigger["namespace"], trigger["flowId"], trigger["executionId"])
        return Scope(namespace, flow_id, execution_id, parent)


class PortServices(Struct):
    clock: Clock
    ids: IdGenerator
    resources: Resources
    config: EngineConfig
    scope: Scope
    # The execution's log lines, stored and not yet stored, read only when errorLogs() asks.
    execution_logs: Callable[[], Sequence[LogEntry]]
    # Values masked in log lines: the SECRET inputs (see `secret_inputs`), then each secret() handed out.
    masked: set[str] = field(default_factory=set)
    # Another execution's stored log lines (log.Fetch of `trigger.executionId`); None where none are read.
    stored_logs: Callable[[str], Sequence[LogEntry]] | None = None
    # Writes lines of an attempt still running (task run id, attempt, chunk, lines): a worker's only.
    live_logs: Callable[[str, int, int, Sequence[LogEntry]], None] | None = None

    @staticmethod
    def secret_inputs(declared: Sequence[Input] | None, inputs: Mapping[str, Any] | None) -> set[str]:
        """The values of the SECRET inputs among an execution's `inputs` (nested by dotted ids)."""
        values = (value_at(inputs or {}, spec.id) for spec in declared or () if spec.type == "SECRET")
        # An empty value would mask between every character.
        return {value for value in values if isinstance(value, str) and value}

    # --- randomness and time ------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def uuid(self) -> str:
        return self.ids.new_id()

    def random_below(self, bound: int) -> int:
        return self.ids.random_below(bound)

    def random_bytes(self, size: int) -> bytes:
        return self.ids.random_bytes(size)

    # --- secrets and KV -----------------------------------------------------------------------------

    def secret(self, key: str) -> str:
        value = self.resources.secrets.get(self.scope.namespace, key)
        if value is None:
            raise EvalError(f"Cannot find secret for key '{key}'.")
        if value:
            self.masked.add(value)
        return value

    def mask(self, text: str) -> str:
        """Replace every masked value, longest first (a secret may contain another)."""
        for value in sorted(self.masked, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text

    def mask_value(self, value: Any) -> Any:
        """`mask` through maps and lists: what a task outputs never holds a secret in clear, whichever
        path ran it."""
        if not self.masked:
            return value
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, Mapping):
            return {key: self.mask_value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.mask_value(item) for item in value]
        return value

    def namespace_kv(self, namespace: str | None = None) -> NamespaceKV:
        return NamespaceKV(self.resources.kv, self.clock, namespace or self.scope.namespace)

    def kv(self, key: str, namespace: str | None) -> tuple[bool, Any]:
        try:
            return self.namespace_kv(namespace).get(key)
        except KVError as exc:
            raise EvalError(str(exc)) from None

    # --- files --------------------------------------------------------------------------------------

    def _readable(self, uri: str) -> str:
        scope = self.scope
        allowed = [
            execution_prefix(scope.namespace, scope.flow_id, scope.execution_id),
            namespace_file_uri(scope.namespace, ""),
        ]
        if scope.parent is not None:
            allowed.append(execution_prefix(*scope.parent))
        if not any(belongs_to(uri, prefix) for prefix in allowed):
            raise EvalError(f"Unable to read the file '{uri}' as it didn't belong to the current execution")
        return uri

    def _resolve(self, path: str) -> str:
        """A kestra:// URI of this execution, or the URI of a namespace file."""
        return self._readable(path) if path.startswith("kestra://") else self.file_uri(path)

    def read_bytes(self, path: str) -> bytes:
        uri = self._resolve(path)
        try:
            return self.resources.storage.get(uri)
        except NotFoundError:
            raise EvalError(f"File not found: {uri}") from None

    def read(self, path: str) -> str:
        data = self.read_bytes(path)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise EvalError(f"Unable to read the file '{self._resolve(path)}' as text (not UTF-8)") from None

    def file_uri(self, path: str) -> str:
        try:
            return namespace_file_uri(self.scope.namespace, path)
        except ValueError as exc:
            raise EvalError(str(exc)) from None

    def file_size(self, path: str) -> int:
        uri = self._resolve(path)
        try:
            return self.resources.storage.size(uri)
        except NotFoundError:
            raise EvalError(f"File not found: {uri}") from None

    def file_exists(self, path: str) -> bool:
        return self.resources.storage.exists(self._resolve(path))

    def file_empty(self, path: str) -> bool:
        return self.file_size(path) == 0

    # --- HTTP ---------------------------------------------------------------------------------------

    def http(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> HttpResponse:
        try:
            return self.resources.http.request(method, url, headers, body, timeout=HTTP_TIMEOUT_SECONDS)
        except HttpError as exc:
            raise EvalError(f"Failed to execute HTTP request: {exc}") from None

    # --- work that may not end ------------------------------------------------------------------------

    def bounded(self, job: Callable[[], Any]) -> Any:
        """A flow author's jq program, run in the sandbox within SANDBOX_SECONDS and SANDBOX_MEMORY."""
        try:
            return self.resources.sandbox.run(job, seconds=SANDBOX_SECONDS, memory_bytes=SANDBOX_MEMORY)
        except LimitsExceededError as exc:
            raise EvalError(f"The jq program was stopped: it {exc}") from None

    # --- logs ---------------------------------------------------------------------------------------

    def error_logs(self) -> list[dict[str, Any]]:
        """The ERROR lines of this execution, oldest first, in Kestra's log JSON shape."""
        lines = [entry for entry in self.execution_logs() if entry.level == "ERROR"]
        lines.sort(key=lambda entry: entry.timestamp)
        return [
            {
                **log_to_json(entry),
                "namespace": self.scope.namespace,
                "flowId": self.scope.flow_id,
            }
            for entry in lines
        ]
