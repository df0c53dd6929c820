"""The kinds of task, each handled its own way:

* RunnableTask: does work in a worker (`run`); `inline` ones are cheap and pure, so the dispatcher may
  run them in-process instead of paying for a queue round trip.
* WaitingTask: runnable in Kestra, but here it waits on a timer instead of holding a Lambda (Sleep).
* ExecutionTask: changes the execution itself (Exit, Labels…), applied by the executor.
* ExecutableTask: starts another execution and waits for its end (Subflow); a BatchExecutableTask starts
  one per batch (ForEachItem).
* FlowableTask: handled by the executor; creates child task runs and derives its state from them.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from msgspec import Struct
from pydantic import Field

from engine.model.state import StateType
from engine.task_api.context import RunContext
from engine.task_api.registry import TaskList
from engine.task_api.scope import FlowableScope, NewTaskRun
from engine.task_api.task import TaskBase


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


class ExecutionChange(Struct):
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


class SubflowCall(Struct, frozen=True):
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


class BatchExecutableTask(ExecutableTask):
    """Starts one child execution per batch (ForEachItem's `_items`), a bounded number per step, at most
    `concurrency_limit` running at once (0: no limit). `call` renders a batch's child with `taskrun.items`
    and `taskrun.iteration` set; the batches are those the sibling task `batches_from` wrote: its outputs
    `numberOfBatches` and `batchUris` (`prefix` + iteration + `suffix`)."""

    concurrency_limit: int = Field(0, alias="concurrencyLimit", ge=0)

    @property
    @abstractmethod
    def batches_from(self) -> str:
        """The id of the sibling task whose outputs list the batches."""


class FlowableTask(TaskBase):
    kind: ClassVar[str] = "flowable"
    # How its children hang together in the flow's topology (Kestra's RelationType): SEQUENTIAL,
    # PARALLEL, CHOICE (one branch runs) or DYNAMIC (a loop).
    relation: ClassVar[str] = "SEQUENTIAL"

    errors: TaskList | None = None
    finally_: TaskList | None = Field(None, alias="finally")

    def child_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield from self.main_lists()
        if self.errors:
            yield "errors", self.errors
        if self.finally_:
            yield "finally", self.finally_

    def depends_on(self) -> Mapping[str, list[str]]:
        """Which children wait for which (a Dag's `dependsOn`), for the topology."""
        return {}

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

    # --- pauses (spec part 2 §13.1): what happens when a `scope.pause` ends -------------------------

    def pause_elapsed(self, scope: FlowableScope) -> StateType:
        """Where the pause's timer takes the task run: RUNNING resumes it, any other state ends it."""
        return StateType.RUNNING

    def continues_after_pause(self) -> bool:
        """Whether a resumed task run goes on RUNNING (children to run after the pause), or ends."""
        return False

    def next_iteration(self, outputs: Mapping[str, Any]) -> Mapping[str, Any]:
        """The task run's outputs once a `pause(next_iteration=True)` wait is over."""
        return outputs
