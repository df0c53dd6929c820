"""What a task and its expressions may reach outside the engine: time, randomness, secrets, KV pairs,
internal storage and HTTP. Adapters implement these Protocols in `engine.memory` (fast tests) and in
`infra` (AWS, the process); one contract suite runs against both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from msgspec import Struct

if TYPE_CHECKING:
    from engine.model.execution import Execution
    from engine.model.logs import LogPurge


class Clock(Protocol):
    def now(self) -> datetime:
        """Current instant, timezone-aware UTC."""
        ...

    def sleep_until(self, at: datetime) -> None:
        """Return once `now()` has reached `at`: a real clock waits, a virtual one moves there."""
        ...


class IdGenerator(Protocol):
    """All the randomness the engine gets."""

    def new_id(self) -> str:
        """A new random id (22-char base62, Kestra's format)."""
        ...

    def random_below(self, bound: int) -> int:
        """A random integer in [0, bound)."""
        ...

    def random_bytes(self, size: int) -> bytes:
        """`size` random bytes, fit for keys and IVs."""
        ...


class NotFoundError(LookupError):
    pass


class SecretStore(Protocol):
    def get(self, namespace: str, key: str) -> str | None:
        """The secret visible from `namespace` under `key`, or None."""
        ...


class KVEntry(Struct, frozen=True):
    """One KV pair: the value as JSON text with Kestra's KV type, and when it expires."""

    type: str
    json_value: str
    updated: datetime
    expiration_date: datetime | None = None


class KVStore(Protocol):
    def get(self, namespace: str, key: str) -> KVEntry | None:
        """The entry, expired or not (the caller compares with its clock)."""
        ...

    def put(self, namespace: str, key: str, entry: KVEntry, *, overwrite: bool = True) -> bool:
        """Store; False (and nothing written) when the key exists and `overwrite` is false."""
        ...

    def delete(self, namespace: str, key: str) -> bool:
        """Remove; False when there was nothing to remove."""
        ...

    def namespaces(self) -> list[str]:
        """The namespaces that have a key, sorted (the API's listing of every key; not for a step)."""
        ...

    def list(self, namespace: str) -> list[tuple[str, KVEntry]]:
        """Every key of the namespace with its entry, sorted by key."""
        ...


class Storage(Protocol):
    """Internal storage; `kestra:///…` URIs."""

    def put(self, path: str, data: bytes) -> str:
        """Store and return the kestra:// URI."""
        ...

    def get(self, uri: str, limit: int | None = None) -> bytes:
        """The object's bytes, or only its first `limit` (a preview reads no more)."""
        ...

    def exists(self, uri: str) -> bool: ...

    def size(self, uri: str) -> int:
        """Size in bytes; NotFoundError when absent."""
        ...

    def list(self, prefix: str) -> list[StoredObject]:
        """Every object whose URI starts with `prefix`, sorted by URI."""
        ...

    def delete(self, uri: str) -> bool:
        """Remove one object; False when there was none."""
        ...

    def put_chunks(self, path: str, chunks: Iterable[bytes]) -> tuple[str, int]:
        """Store what `chunks` hold without holding it all at once (a large download); the kestra:// URI
        and the size."""
        ...


class StoredObject(Struct, frozen=True):
    uri: str
    size: int
    modified: datetime | None = None


class HttpResponse(Struct, frozen=True):
    status: int
    headers: dict[str, str]
    body: bytes


class HttpError(Exception):
    """The request could not be made (refused address, network error, timeout)."""


class HttpStream(Struct, frozen=True):
    """A response whose body is read as it comes (`chunks`), for bodies too large to hold."""

    status: int
    headers: dict[str, str]
    chunks: Iterator[bytes]


class HttpClient(Protocol):
    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse: ...

    def stream(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> AbstractContextManager[HttpStream]:
        """The same request (address policy, redirects), its body not read yet and of any size."""
        ...


class LimitsExceededError(Exception):
    """A sandboxed job ran out of its time or memory."""


class Sandbox(Protocol):
    """Runs a job that may not end, or may take all the memory there is — a flow author's jq program —
    within limits, so that it can hold neither a step nor its Lambda (issue 12)."""

    def run(self, job: Callable[[], Any], *, seconds: float, memory_bytes: int) -> Any:
        """`job()`'s result (a JSON value); LimitsExceededError when it runs out of time or memory. An
        exception the job raises comes back as ValueError with its message."""
        ...


class ProcessResult(Struct, frozen=True):
    exit_code: int
    stdout: tuple[str, ...]
    stderr: tuple[str, ...]
    files: Mapping[str, bytes]  # what the output globs matched, by path in the working directory
    timed_out: bool = False


class ProcessError(Exception):
    """The process could not be started (no such interpreter, a file outside the working directory)."""


class OutputListener(Protocol):
    """Hears a process's output while it runs."""

    def line(self, stream: str, text: str) -> None:
        """One line of `stdout` or `stderr`, as it comes."""
        ...

    def idle(self) -> None:
        """Nothing came for a while (about a second)."""
        ...


class Processes(Protocol):
    """Script tasks' commands, run as processes of the worker (Kestra's Process task runner)."""

    def run(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        files: Mapping[str, bytes],
        outputs: Sequence[str],
        timeout: float,
        workspace: str | None = None,
        listener: OutputListener | None = None,
    ) -> ProcessResult:
        """Run `command` in a fresh working directory holding `files` (relative paths), or in `workspace`
        (kept), with `env` and no credentials of the worker's; return its output lines and the files the
        `outputs` globs match. `listener` hears the lines as they come."""
        ...

    def workspace(self) -> AbstractContextManager[str]:
        """A directory several runs share (a WorkingDirectory's), removed when the block ends."""
        ...

    def write(self, workspace: str, files: Mapping[str, bytes]) -> None: ...

    def collect(self, workspace: str, patterns: Sequence[str]) -> dict[str, bytes]:
        """The files of `workspace` the globs match, by relative path."""
        ...


class Executions(Protocol):
    """Other executions, as the `execution.*` and `log.PurgeLogs` tasks reach them."""

    def search(self, namespace: str | None, flow_id: str | None) -> list[Execution]:
        """Headers (no task runs), newest first."""
        ...

    def resume(self, execution_id: str, inputs: Mapping[str, Any]) -> None:
        """Raises NotFoundError, or ValueError when it is not paused or its inputs are refused."""
        ...

    def purge_logs(self, execution_id: str, purge: LogPurge) -> int:
        """Delete the log lines `purge` matches; how many."""
        ...

    def purge(self, execution: Execution, *, record: bool, logs: bool, files: bool) -> tuple[int, int]:
        """Delete what is asked of an ended execution: its files, its log lines, itself. How many log lines
        and files went."""
        ...


class AwsConnection(Struct, frozen=True):
    """Whom a task's AWS calls are made as: the worker's own role unless keys are given (Kestra's AWS
    plugin properties)."""

    region: str | None = None
    access_key_id: str | None = None
    secret_key_id: str | None = None
    session_token: str | None = None
    endpoint_override: str | None = None


class AwsError(Exception):
    """An AWS call refused or failed: its code and message."""


class Aws(Protocol):
    """AWS APIs, as the `io.kestra.plugin.aws` tasks call them."""

    def call(
        self, connection: AwsConnection, service: str, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """One call (boto3's client method name); a body in the response is read into bytes."""
        ...


class FunctionError(Exception):
    """A function invoked by a task failed: its message."""


class Functions(Protocol):
    """Lambda functions a flow calls (`aws.lambda.Invoke`, task functions): AWS's, or local stand-ins."""

    def invoke(self, connection: AwsConnection, name: str, payload: Mapping[str, Any]) -> bytes:
        """The function's response; FunctionError when it failed."""
        ...


class Triggers(Protocol):
    """Flows' triggers, as a task may switch them (`trigger.Toggle`)."""

    def set_enabled(self, namespace: str, flow_id: str, trigger_id: str, enabled: bool) -> None:
        """Raises NotFoundError for a flow or a trigger that does not exist."""
        ...


class Resources(Struct, frozen=True):
    """The outside world a running task and its expressions may reach. `triggers` is the services' own:
    they fill it in when they are built."""

    secrets: SecretStore
    kv: KVStore
    storage: Storage
    http: HttpClient
    sandbox: Sandbox
    triggers: Triggers | None = None
    executions: Executions | None = None
    processes: Processes | None = None  # none: script tasks cannot run here
    aws: Aws | None = None  # none: AWS tasks cannot run here
    functions: Functions | None = None
