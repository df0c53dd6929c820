"""The task API: everything a task type is written against. A built-in task imports this package, the model
and the expressions, never the executor's or the worker's internals (import-linter checks it)."""

from engine.task_api.context import RunContext
from engine.task_api.definitions import Duration, Input, Model, Retry, TaskCache
from engine.task_api.kinds import (
    BatchExecutableTask,
    ExecutableTask,
    ExecutionChange,
    ExecutionTask,
    FlowableTask,
    RunnableTask,
    SubflowCall,
    WaitingTask,
)
from engine.task_api.registry import TaskList, TaskRef, task_type
from engine.task_api.scope import FlowableScope, NewTaskRun, apply_allow, enabled, worst_state
from engine.task_api.task import PropertyRenderError, TaskBase, TaskFailedError, duration_property

__all__ = [
    "BatchExecutableTask",
    "Duration",
    "ExecutableTask",
    "ExecutionChange",
    "ExecutionTask",
    "FlowableScope",
    "FlowableTask",
    "Input",
    "Model",
    "NewTaskRun",
    "PropertyRenderError",
    "Retry",
    "RunContext",
    "RunnableTask",
    "SubflowCall",
    "TaskBase",
    "TaskCache",
    "TaskFailedError",
    "TaskList",
    "TaskRef",
    "WaitingTask",
    "apply_allow",
    "duration_property",
    "enabled",
    "task_type",
    "worst_state",
]
