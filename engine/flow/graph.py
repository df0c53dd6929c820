"""FlowGraph: static lookups over a flow's task tree."""

from __future__ import annotations

from collections.abc import Iterator

from msgspec import Struct, field

from engine.flow.model import Flow
from engine.task_api import FlowableTask, TaskBase


class FlowGraph(Struct, frozen=True):
    """Static lookups over a flow's task tree: a task by id and the flowable that contains it."""

    flow: Flow
    # The stored revision this graph was parsed from (0 for a flow that was never stored).
    revision: int = 0
    tasks: dict[str, TaskBase] = field(default_factory=dict)
    parents: dict[str, FlowableTask | None] = field(default_factory=dict)
    # Tasks listed directly in an `errors`, `finally` or `afterExecution` list: a restart drops their runs.
    handlers: set[str] = field(default_factory=set)

    @staticmethod
    def of(flow: Flow, revision: int = 0) -> FlowGraph:
        graph = FlowGraph(flow, revision)

        def walk(lists: Iterator[tuple[str, list[TaskBase]]], parent: FlowableTask | None) -> None:
            for name, tasks in lists:
                for task in tasks:
                    graph.tasks[task.id] = task
                    graph.parents[task.id] = parent
                    if name in ("errors", "finally", "afterExecution"):
                        graph.handlers.add(task.id)
                    # A flowable's children are its own; a task that runs its children itself (a
                    # WorkingDirectory) leaves them under its enclosing flowable (for retry policies).
                    walk(task.child_lists(), task if isinstance(task, FlowableTask) else parent)

        walk(flow.root_lists(), None)
        return graph

    def task(self, task_id: str) -> TaskBase:
        return self.tasks[task_id]
