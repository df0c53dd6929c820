"""What `advance()` consumes (events) and produces (effects). A worker's report, `WorkerResult`, is defined
where it is made (`engine.runtime.attempt`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from msgspec import Struct, field

from engine.model.execution import Execution
from engine.model.logs import LogEntry
from engine.model.state import StateType
from engine.runtime.attempt import WorkerResult

# --- events ---------------------------------------------------------------------------------------


class TimerKind(StrEnum):
    """What a timer is for; it acts only if what it was set for is still pending."""

    WAIT = "WAIT"  # a waiting task (Sleep) is done
    RETRY = "RETRY"  # a RETRYING task run gets its next attempt
    TIMEOUT = "TIMEOUT"  # an attempt's `timeout` expired
    PAUSE = "PAUSE"  # a Pause's pauseDuration or timeout elapsed
    NEXT_ITERATION = "NEXT_ITERATION"  # a loop waited between iterations (LoopUntil)
    SLA = "SLA"  # a MAX_DURATION SLA's deadline
    SCHEDULE_DATE = "SCHEDULE_DATE"  # a CREATED execution's scheduleDate came (Kestra's RESUME_FLOW delay)


class Wake(Struct, frozen=True):
    """Run executor passes: the execution was created, or a step was cut short and continues."""


class TimerFired(Struct, frozen=True):
    kind: TimerKind
    task_run_id: str | None = None
    attempt: int | None = None
    sla_id: str | None = None  # the SLA a MAX_DURATION timer checks


class AttemptLost(Struct, frozen=True):
    """A worker found attempt `attempt` of a task run claimed by a worker that never reported within its
    lease: that worker died, and the attempt fails as lost (if it is still the live one)."""

    task_run_id: str
    attempt: int


class Kill(Struct, frozen=True):
    """Stop the execution: nothing new starts, what runs is killed, afterExecution still runs. Without
    `cascade`, the subflow executions it waits for are left running (Kestra's `isOnKillCascade=false`).
    With `after`, it is a kill's own continuation: only its notices to the children it does not wait for,
    from the one after that cursor (a task run's `seq`, and a batch's iteration or 0) on."""

    cascade: bool = True
    after: tuple[int, int] | None = None


class Resume(Struct, frozen=True):
    """Resume the paused task run `task_run_id` with its validated `onResume` inputs; None resumes an
    execution paused by hand (no task run paused)."""

    task_run_id: str | None
    inputs: dict[str, Any] = field(default_factory=dict)


class Pause(Struct, frozen=True):
    """Pause a running execution by hand: nothing new starts until it is resumed."""


class Unqueue(Struct, frozen=True):
    """Take a QUEUED execution out of its flow's concurrency queue by hand (spec part 2 §4.2): RUNNING
    starts it without a slot, CANCELLED or FAILED ends it. `force` (Kestra's force-run) also starts a
    CREATED execution at once: unadmitted, or before its scheduleDate."""

    state: StateType = StateType.RUNNING
    force: bool = False


class StartExecution(Struct, frozen=True):
    """As an event: store this new execution unless it exists, then run it. As an effect: send that event,
    at `at` (a retry with CREATE_NEW_EXECUTION) or at once (a subflow)."""

    execution: Execution
    at: datetime | None = None


class Restart(Struct, frozen=True):
    """Run a FAILED (or PAUSED) execution again from its failed task runs (spec part 2 §14.1).

    `waited_by`: sent by the parent that restarts its child in place, the attempt of its task run that now
    waits; the child's end notice carries it back, so that a notice of an earlier end is told apart."""

    waited_by: int | None = None


class SetTaskRunState(Struct, frozen=True):
    """Give a task run of an ended execution a state by hand, and go on from there (spec part 2 §14.3)."""

    task_run_id: str
    state: StateType


class SubflowEnded(Struct, frozen=True):
    """Child execution `child_id`, started by task run `task_run_id`, is over (spec part 1 §12.2).

    `outputs` are the child's flow outputs (or the task's legacy `outputs`, rendered in the child);
    `error` says why they could not be extracted."""

    task_run_id: str
    child_id: str
    state: StateType
    outputs: dict[str, Any] | None = None
    error: str | None = None
    # The batch of a child started per batch (ForEachItem): which of the task run's children ended.
    iteration: int | None = None
    # The attempt of the parent's task run that waited for this end (None from a child made before it
    # was recorded): a notice of an end from before a restart in place carries an older one.
    task_run_attempt: int | None = None


class Poisoned(Struct, frozen=True):
    """A message for this execution failed on every delivery and reached a dead-letter queue: the execution
    ends FAILED with `reason` in its logs, without running its passes (they may be what fails)."""

    reason: str


class Admission(Struct, frozen=True):
    """The flow's concurrency limit answered (spec part 2 §4.2): a slot was `granted`, or not and then
    `behavior` says what happens; `running` is how many executions hold a slot."""

    granted: bool
    behavior: str = "QUEUE"
    running: int = 0


class ReleaseSlot(Struct, frozen=True):
    """The execution is over: give its concurrency slot back and hand free slots to the oldest waiting.
    Handled by the dispatcher, never by `advance()`."""


Event = (
    Admission
    | ReleaseSlot
    | Wake
    | WorkerResult
    | AttemptLost
    | TimerFired
    | Kill
    | Resume
    | Pause
    | Unqueue
    | Restart
    | SetTaskRunState
    | StartExecution
    | SubflowEnded
    | Poisoned
)

# --- effects --------------------------------------------------------------------------------------


class RunTask(Struct, frozen=True):
    """Send attempt `attempt` (1-based) of a runnable task run to a worker."""

    task_run_id: str
    attempt: int


class StartTimer(Struct, frozen=True):
    kind: TimerKind
    fire_at: datetime
    task_run_id: str | None = None
    attempt: int | None = None
    sla_id: str | None = None


class Continue(Struct, frozen=True):
    """The step stopped before a fixpoint (work bound reached): run another step."""


class ExecutionEnded(Struct, frozen=True):
    """The execution is fully terminated (terminal state, afterExecution done)."""

    state: StateType


class Notify(Struct, frozen=True):
    """Deliver `event` to another execution: a child's end to its parent, a kill or a restart to a child.
    `key` tells one notice from another, so that a re-sent one is recognised."""

    execution_id: str
    event: Kill | Restart | SubflowEnded
    key: str


Effect = RunTask | StartTimer | Continue | ExecutionEnded | StartExecution | Notify


class AdvanceResult(Struct, frozen=True):
    execution: Execution
    effects: tuple[Effect, ...]
    logs: tuple[LogEntry, ...]
    changed: frozenset[str]
    removed: frozenset[str]
    header_changed: bool = False

    @property
    def modified(self) -> bool:
        return bool(self.header_changed or self.changed or self.removed or self.effects or self.logs)
