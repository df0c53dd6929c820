"""Write your own task function: a Python function taking the task's rendered properties and a context,
returning its outputs, deployed as a Lambda and called from a flow by the task type it is registered under
(`KITE_TASK_FUNCTIONS`, or `kite run --function` locally).

    from functions.task_sdk import TaskContext, task

    @task
    def handler(properties: dict, context: TaskContext) -> dict:
        context.log("INFO", f"greeting {properties['name']}")
        return {"greeting": f"Hello {properties['name']}"}

An exception fails the attempt with its message (the flow's retry applies); log lines go to the task
run's logs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from msgspec import Struct, field

TaskFunction = Callable[[dict[str, Any], "TaskContext"], Mapping[str, Any] | None]


class TaskContext(Struct):
    task_run: dict[str, Any]  # id, taskId, executionId, namespace, flowId, value, attemptNumber
    logs: list[dict[str, str]] = field(default_factory=list)

    def log(self, level: str, message: str) -> None:
        self.logs.append({"level": level, "message": message})


def task(function: TaskFunction) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of a task function."""

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        context = TaskContext(dict(event.get("taskRun") or {}))
        try:
            outputs = function(dict(event.get("properties") or {}), context) or {}
        except Exception as exc:  # the task's failure, reported to the flow
            return {"error": f"{type(exc).__name__}: {exc}", "logs": context.logs}
        return {"outputs": dict(outputs), "logs": context.logs}

    return handler
