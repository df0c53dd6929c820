"""What every task is: the common properties (spec part 1 §2.1), and how a task fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field

from engine.model.durations import parse_duration
from engine.task_api.definitions import Duration, Input, Model, Retry, TaskCache

TASK_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"


class TaskBase(Model):
    """Common task properties. The four kinds of task derive from it (`engine.task_api.kinds`)."""

    kind: ClassVar[str] = "abstract"

    id: str = Field(pattern=TASK_ID_PATTERN, max_length=256)
    type: str
    description: str | None = None
    disabled: bool = False
    timeout: Duration | None = None
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

    def runs_its_children(self) -> bool:
        """The task runs its `child_lists` itself, on one worker (a WorkingDirectory): its children's task
        runs are made by that run, so they start again only with it."""
        return False

    def resume_inputs(self) -> list[Input]:
        """The inputs a resume of this task's paused run may carry (a Pause's `onResume`)."""
        return []


class TaskFailedError(Exception):
    """A task's own failure: the message is logged at ERROR and the attempt ends FAILED."""


class PropertyRenderError(Exception):
    """An expression failed: names the task, the property and the expression (Kestra's wording)."""


def duration_property(value: str, what: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise TaskFailedError(f"Invalid {what} '{value}': {exc}") from exc
