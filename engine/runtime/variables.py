"""The expression context of a task run (Kestra's RunVariables, spec part 1 §15.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.flow.graph import FlowGraph
from engine.flow.schedule import SCHEDULE_TYPES
from engine.model.execution import Execution, TaskRun
from engine.model.values import nest
from engine.runtime.references import readable_tasks


def execution_variables(graph: FlowGraph, execution: Execution) -> dict[str, Any]:
    """Everything that does not depend on the task run being rendered."""
    variables: dict[str, Any] = {
        "flow": {
            "id": execution.flow_id,
            "namespace": execution.namespace,
            "revision": execution.flow_revision,
        },
        "execution": {
            "id": execution.id,
            "startDate": execution.state.start_date,
            "state": execution.state.current.value,
            "originalId": execution.original_id or execution.id,
        },
        "outputs": execution.task_runs.outputs_view(),
        "tasks": execution.task_runs.states_view(),
        "labels": nest(execution.label_map()),
    }
    if execution.outputs is not None:
        variables["execution"]["outputs"] = execution.outputs
    if execution.inputs:
        variables["inputs"] = execution.inputs
    if execution.variables:
        variables["vars"] = execution.variables
    if execution.trigger is not None:
        variables["trigger"] = execution.trigger.get("variables") or {}
        if execution.trigger.get("type") in SCHEDULE_TYPES:
            variables["schedule"] = variables["trigger"]  # Kestra's legacy name, still exposed
    return variables


def task_run_variables(
    graph: FlowGraph, execution: Execution, run: TaskRun, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    variables = dict(base if base is not None else execution_variables(graph, execution))
    task = graph.task(run.task_id)
    variables["task"] = {"id": task.id, "type": task.type}
    variables["taskrun"] = _taskrun(run)
    # Only ancestors that carry a loop value or outputs count (Kestra's RunVariables): a loop task run
    # itself is skipped, so `parents[i].taskrun.value` walks the loop values outward.
    parents = [
        _parent(graph, p) for p in execution.task_runs.ancestors(run) if p.value is not None or p.outputs
    ]
    if parents:
        variables["parent"] = parents[0]
        variables["parents"] = parents
    return variables


def _taskrun(run: TaskRun) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": run.id,
        "startDate": run.state.start_date,
        "attemptsCount": max(run.attempt_number - 1, 0) if run.state.current.running else run.attempt_number,
    }
    if run.parent_task_run_id is not None:
        data["parentId"] = run.parent_task_run_id
    if run.value is not None:
        data["value"] = run.value
    if run.iteration is not None:
        data["iteration"] = run.iteration
    return data


def _parent(graph: FlowGraph, run: TaskRun) -> dict[str, Any]:
    task = graph.task(run.task_id)
    data: dict[str, Any] = {"task": {"id": task.id, "type": task.type}, "taskrun": {"id": run.id}}
    if run.value is not None:
        data["taskrun"]["value"] = run.value
    if run.iteration is not None:
        data["taskrun"]["iteration"] = run.iteration
    if run.outputs:
        data["outputs"] = run.outputs
    return data


def worker_variables(graph: FlowGraph, execution: Execution, run: TaskRun) -> dict[str, Any]:
    """What a worker renders the run with: only the outputs and states its task can read, so a message's
    size does not grow with the execution's (see references.py)."""
    variables = task_run_variables(graph, execution, run)
    readable = readable_tasks(graph.task(run.task_id), graph.flow)
    if readable is not None:
        for name in ("outputs", "tasks"):
            view = variables[name]
            variables[name] = {task_id: view[task_id] for task_id in readable if task_id in view}
    return variables
