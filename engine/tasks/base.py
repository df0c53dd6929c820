"""What every task type is: the common properties (spec part 1 §2.1) and the four kinds of task.

* RunnableTask: does work in a worker (`run`); `inline` ones are cheap and pure, so the dispatcher may
  run them in-process instead of paying for a queue round trip.
* FlowableTask: handled by the executor; creates child task runs and derives its state from them.
* WaitingTask: runnable in Kestra, but here it waits on a timer instead of holding a Lambda (Sleep).
* ExecutionTask: changes the execution itself (Exit, Labels…), applied by the executor.
* ExecutableTask: starts another execution and waits for its end (Subflow).

A task type is one module in this package, registered with `@task_type(...)`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from engine.model.durations import parse_duration

if TYPE_CHECKING:
    from engine.executor.scope import FlowableScope, NewTaskRun
    from engine.model.state import StateType
    from engine.worker.context import RunContext

TASK_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"


class TaskRef:
    """Marks a field as "any registered task": the schema is the registry's tagged union, built when the
    first flow is validated, after every task module has registered."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        from engine.tasks.registry import any_task_annotation

        return handler.generate_schema(any_task_annotation())


class Model(BaseModel):
    """Flow YAML objects: unknown properties are errors, values are frozen, YAML keeps Kestra's names."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class Retry(Model):
    type: Literal["constant", "exponential", "random"]
    behavior: Literal["RETRY_FAILED_TASK", "CREATE_NEW_EXECUTION"] = "RETRY_FAILED_TASK"
    max_attempts: int | None = Field(None, alias="maxAttempts", ge=1)
    max_attempt: int | None = Field(None, alias="maxAttempt", ge=1)
    max_duration: str | None = Field(None, alias="maxDuration")
    warning_on_retry: bool = Field(False, alias="warningOnRetry")
    interval: str | None = None
    max_interval: str | None = Field(None, alias="maxInterval")
    min_interval: str | None = Field(None, alias="minInterval")
    delay_factor: float | None = Field(None, alias="delayFactor")


class TaskCache(Model):
    enabled: bool
    ttl: str | None = None


class TaskBase(Model):
    """Common task properties."""

    kind: ClassVar[str] = "abstract"

    id: str = Field(pattern=TASK_ID_PATTERN, max_length=256)
    type: str
    description: str | None = None
    disabled: bool = False
    timeout: str | None = None
    retry: Retry | None = None
    allow_failure: bool = Field(False, alias="allowFailure")
    allow_warning: bool = Field(False, alias="allowWarning")
    run_if: str | bool | None = Field(None, alias="runIf")
    log_level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] | None = Field(None, alias="logLevel")
    log_to_file: bool = Field(False, alias="logToFile")
    worker_group: dict[str, Any] | None = Field(None, alias="workerGroup")
    task_cache: TaskCache | None = Field(None, alias="taskCache")
    version: str | None = None
    assets: dict[str, Any] | None = None
    # Left in place only when the named plugin defaults did not resolve: the task run then fails.
    plugin_defaults_ref: str | None = Field(None, alias="pluginDefaultsRef")

    def child_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        """Named lists of child tasks (static structure), for lookups and validation."""
        return iter(())


class RunnableTask(TaskBase):
    kind: ClassVar[str] = "runnable"
    # Cheap, bounded and free of I/O: the dispatcher may run it itself (decision 0003).
    inline: ClassVar[bool] = False

    @abstractmethod
    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        """Do the work; return outputs. Raise TaskFailedError (or any exception) to fail the attempt."""


class WaitingTask(TaskBase):
    kind: ClassVar[str] = "waiting"

    @abstractmethod
    def wait_duration(self, ctx: RunContext) -> timedelta:
        """How long the task run waits before it succeeds."""


@dataclass(slots=True)
class ExecutionChange:
    """What an execution task may change: the labels and variables, and a state to end it with."""

    labels: dict[str, str]
    variables: dict[str, Any]
    state: StateType | None = None


class ExecutionTask(TaskBase):
    """Changes the execution itself (Exit, Labels, SetVariables…): the executor runs it, never a worker."""

    kind: ClassVar[str] = "execution"

    @abstractmethod
    def apply(self, ctx: RunContext, change: ExecutionChange) -> Mapping[str, Any] | None:
        """Update `change` in place; return outputs. Raise TaskFailedError to fail the task run."""


@dataclass(frozen=True, slots=True)
class SubflowCall:
    """The execution an executable task asks for, its properties rendered in the parent's context."""

    namespace: str
    flow_id: str
    revision: int | None
    inputs: dict[str, Any]
    labels: list[tuple[str, str]]
    inherit_labels: bool
    schedule_date: datetime | None = None


class ExecutableTask(TaskBase):
    """Starts a child execution (spec part 1 §12); the executor creates it and maps its end back."""

    kind: ClassVar[str] = "executable"

    wait: bool = True
    transmit_failed: bool = Field(True, alias="transmitFailed")
    restart_behavior: Literal["RETRY_FAILED", "NEW_EXECUTION"] = Field(
        "RETRY_FAILED", alias="restartBehavior"
    )

    @abstractmethod
    def call(self, ctx: RunContext) -> SubflowCall:
        """Render what to start. Raise TaskFailedError (or a render error) to fail the task run."""

    def target(self) -> tuple[str, str] | None:
        """(namespace, flowId) when both are static: a flow may not call itself."""
        return None

    def legacy_outputs(self) -> Mapping[str, Any] | None:
        """Outputs rendered in the child's context when the child flow declares none (deprecated)."""
        return None


TaskList = list[Annotated[TaskBase, TaskRef]]


class FlowableTask(TaskBase):
    kind: ClassVar[str] = "flowable"

    errors: TaskList | None = None
    finally_: TaskList | None = Field(None, alias="finally")

    def child_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield from self.main_lists()
        if self.errors:
            yield "errors", self.errors
        if self.finally_:
            yield "finally", self.finally_

    @abstractmethod
    def main_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        """The lists of child tasks the flowable may run (all branches, statically)."""

    def start(self, scope: FlowableScope) -> Mapping[str, Any]:
        """Called when the task run starts; returns its first outputs (e.g. If's evaluationResult)."""
        return {}

    @abstractmethod
    def resolve_nexts(self, scope: FlowableScope) -> list[NewTaskRun]:
        """Child task runs to create now."""

    @abstractmethod
    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        """The flowable's terminal state once its children allow it, else None."""


class TaskFailedError(Exception):
    """A task's own failure: the message is logged at ERROR and the attempt ends FAILED."""


def duration_property(value: str, what: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise TaskFailedError(f"Invalid {what} '{value}': {exc}") from exc
