"""io.kestra.plugin.core.flow.Dag: tasks start once every task they depend on has ended, at most
`concurrent` at a time (0 = no limit).

The graph is checked when the flow is loaded, with the messages of Kestra's DagTaskValidator, so an
execution never meets an unknown dependency or a cycle.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from engine.model.state import StateType
from engine.task_api import FlowableScope, FlowableTask, Model, NewTaskRun, TaskBase, TaskRef, task_type


class DagTask(Model):
    task: Annotated[TaskBase, TaskRef]
    depends_on: list[str] | None = Field(None, alias="dependsOn")


@task_type("io.kestra.plugin.core.flow.Dag", "io.kestra.core.tasks.flows.Dag")
class Dag(FlowableTask):
    relation: ClassVar[str] = "PARALLEL"
    tasks: list[DagTask] = Field(min_length=1)
    concurrent: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _valid_graph(self) -> Dag:
        edges = self._edges()
        unknown = [d for deps in edges.values() for d in deps if d not in edges]
        if unknown:
            raise ValueError(f"Not existing task id in dependency: {', '.join(unknown)}")
        cyclic = [task_id for task_id in edges if task_id in _reachable(task_id, edges)]
        if cyclic:
            raise ValueError(f"Cyclic dependency detected: {', '.join(cyclic)}")
        return self

    def depends_on(self) -> Mapping[str, list[str]]:
        return self._edges()

    def _edges(self) -> dict[str, list[str]]:
        return {node.task.id: node.depends_on or [] for node in self.tasks}

    def _nodes(self) -> list[TaskBase]:
        return [node.task for node in self.tasks]

    def main_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield "tasks", self._nodes()

    def resolve_nexts(self, scope: FlowableScope) -> list[NewTaskRun]:
        return scope.next_parallel(
            self._nodes(), self.errors, self.finally_, self.concurrent, depends_on=self._edges()
        )

    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        return scope.resolve_state(self._nodes(), self.errors, self.finally_)


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    """Every task `start` depends on, directly or not."""
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        task_id = todo.pop()
        if task_id not in seen:
            seen.add(task_id)
            todo += edges.get(task_id, ())
    return seen
