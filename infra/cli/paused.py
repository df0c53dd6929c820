"""`kite run` of an execution that pauses without a delay: it waits for someone. Say what it waits for
and how to resume it; from a terminal, offer to resume it here, asking for its `onResume` inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from engine.creation.inputs import InvalidInputsError
from engine.model.execution import Execution
from engine.model.state import StateType
from engine.services.app import Services
from engine.task_api import Input
from infra.cli.text import printable

Ask = Callable[[str], str]


def describe(services: Services, execution: Execution, out: TextIO) -> list[Input]:
    """What the pause waits for; the inputs its resume asks."""
    paused = execution.task_runs.in_state(StateType.PAUSED)
    if not paused:
        print("\nPAUSED by hand: it waits for a resume.", file=out)
        return []
    run = paused[0]
    graph = services.catalog.graph(execution.namespace, execution.flow_id, execution.flow_revision)
    inputs = graph.task(run.task_id).resume_inputs()
    print(f"\nPAUSED at task '{run.task_id}': it waits for a resume.", file=out)
    for declared in inputs:
        print(f"  onResume input {_label(declared)}", file=out)
    print(
        f"Resume it here from a terminal, or run the flow on `kite serve` and resume it there "
        f"(POST /api/v1/main/executions/{execution.id}/resume).",
        file=out,
    )
    return inputs


def offer_resume(
    services: Services, execution: Execution, inputs: list[Input], ask: Ask, out: TextIO
) -> bool:
    """Ask whether to resume, then each input (empty: its default); True once resumed."""
    if ask("Resume now? [y/N] ").strip().lower() not in ("y", "yes"):
        return False
    for _ in range(3):
        values: dict[str, Any] = {}
        for declared in inputs:
            answer = ask(f"{_label(declared)}: ")
            if answer != "":
                values[declared.id] = answer
        try:
            services.executions.resume(execution.id, values)
        except InvalidInputsError as exc:
            for line in str(exc).splitlines():
                print(f"kite: {printable(line)}", file=out)
            continue
        return True
    return False


def _label(declared: Input) -> str:
    default = f", default {declared.defaults!r}" if declared.defaults is not None else ""
    required = "" if not declared.required or declared.defaults is not None else ", required"
    return f"{declared.id} ({declared.type}{default}{required})"
