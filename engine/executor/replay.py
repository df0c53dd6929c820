"""Replay (spec part 2 §14.2): a new execution made from an old one, from the start or from one task run.

Pure: the caller supplies the new id, the time and the flow revision to run; the result is stored and woken
like any new execution.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec.structs import replace

from engine.flow.graph import FlowGraph
from engine.model.execution import Execution, ExecutionMetadata, TaskRun, TaskRuns
from engine.model.ids import task_run_id
from engine.model.labels import merge_labels
from engine.model.state import State, StateType
from engine.task_api import FlowableTask

S = StateType


class ReplayError(ValueError):
    pass


def replay(
    graph: FlowGraph,
    source: Execution,
    new_id: str,
    now: datetime,
    *,
    from_task_run: str | None = None,
    inputs: dict[str, Any] | None = None,
) -> Execution:
    """Same inputs (or `inputs`), labels plus `system.replay`, `attemptNumber + 1`, `parentId` = the source.

    Without a task run: a fresh start. With one: the task runs are copied under new ids, the chosen one and
    its ancestors (and whatever had not ended) are reset, and what came after the chosen one is dropped."""
    labels = merge_labels([(x.key, x.value) for x in source.labels], [("system.replay", "true")])
    execution = Execution(
        id=new_id,
        namespace=source.namespace,
        flow_id=source.flow_id,
        flow_revision=graph.revision or source.flow_revision,
        state=State.of(S.CREATED, now),
        task_runs=TaskRuns(),
        metadata=ExecutionMetadata(source.metadata.attempt_number + 1, source.metadata.original_created_date),
        inputs=dict(source.inputs if inputs is None else inputs),
        variables=dict(graph.flow.variables or {}),
        labels=labels,
        trigger=source.trigger,
        parent_id=source.id,
        original_id=source.original_id or source.id,
    )
    if from_task_run is None:
        return execution
    chosen = source.task_runs.find(from_task_run)
    if chosen is None:
        raise ReplayError(f"Task run '{from_task_run}' not found in execution '{source.id}'")
    if chosen.task_id not in graph.tasks:
        raise ReplayError(f"Task '{chosen.task_id}' no longer exists in the flow")
    chosen = _unit(graph, source, chosen)
    # Kestra drops the successors of the chosen run in the flow graph; here, every run created after it
    # that is not one of its ancestors: its descendants and the later siblings of each ancestor.
    again = {chosen.seq} | {run.seq for run in source.task_runs.ancestors(chosen)}
    # Ancestors come before it; children a run made itself (a WorkingDirectory's) come again with it.
    kept = [run for run in source.task_runs if run.seq <= chosen.seq and run.parent_task_run_id != chosen.id]
    execution.task_runs = TaskRuns(
        _reset(graph, run, now) if run.seq in again or not run.state.current.terminated else run
        for run in remapped(kept, new_id)
    )
    execution.next_seq = source.next_seq
    execution.state = source.state.with_state(S.RESTARTED, now)
    return execution


def remapped(runs: list[TaskRun], new_id: str) -> list[TaskRun]:
    """The task runs under execution `new_id`: ids derived from it as for its own runs, parent links kept."""
    ids = {run.id: task_run_id(new_id, run.seq) for run in runs}
    return [
        replace(
            run,
            id=ids[run.id],
            execution_id=new_id,
            parent_task_run_id=ids[run.parent_task_run_id] if run.parent_task_run_id else None,
        )
        for run in runs
    ]


def _reset(graph: FlowGraph, run: TaskRun, now: datetime) -> TaskRun:
    """Runs again, attempts kept: a flowable from RUNNING, any other task from RESTARTED."""
    flowable = isinstance(graph.tasks.get(run.task_id), FlowableTask)
    return run.with_state(S.RUNNING if flowable else S.RESTARTED, now)


def _unit(graph: FlowGraph, execution: Execution, run: TaskRun) -> TaskRun:
    """The run that starts again for `run`: its parent when the parent ran it (a WorkingDirectory)."""
    parent = execution.task_runs.find(run.parent_task_run_id) if run.parent_task_run_id else None
    if parent is not None and graph.task(parent.task_id).runs_its_children():
        return parent
    return run
