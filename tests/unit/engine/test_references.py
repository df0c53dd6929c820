"""Which outputs a RunTask carries: those its task's expressions can read (issue 12)."""

from __future__ import annotations

import json

import pytest

from engine.flow.loader import parse_flow
from engine.memory.runner import InMemoryRunner
from engine.ports import QueueName
from engine.runtime.references import readable_tasks


def _readable(format_: str, variables: str = "") -> frozenset[str] | None:
    flow = parse_flow(
        "id: f\nnamespace: demo\n"
        + (f'variables:\n  v: "{variables}"\n' if variables else "")
        + f'tasks:\n  - id: t\n    type: io.kestra.plugin.core.debug.Return\n    format: "{format_}"\n',
        "f.yaml",
    )
    return readable_tasks(flow.tasks[0], flow)


@pytest.mark.parametrize(
    ("format_", "variables", "readable"),
    [
        ("{{ taskrun.value }}", "", frozenset()),
        ("{{ outputs.a.value }} {{ tasks.b.state }}", "", frozenset({"a", "b"})),
        ("{{ outputs['my-task'].value }}", "", frozenset({"my-task"})),
        ("{{ outputs . a . value }}", "", frozenset({"a"})),
        ("{{ execution.outputs }} {{ parent.outputs.x }}", "", frozenset()),
        ("{{ vars.v }}", "{{ outputs.c.value }}", frozenset({"c"})),
        ("{{ outputs[taskrun.value] }}", "", None),
        ("{{ outputs | keys }}", "", None),
        ("{{ render(vars.v) }}", "x", None),
    ],
)
def test_what_a_task_can_read(format_: str, variables: str, readable: frozenset[str] | None) -> None:
    assert _readable(format_, variables) == readable


LOOP = """id: loop
namespace: demo
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{{{ range(1, {n}) }}}}"
    concurrencyLimit: 1
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{{{ taskrun.value }}}} {{{{ outputs.first.value }}}}"
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ outputs.item | length }}}}"
"""
FIRST = """  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: first
"""


def _largest_run_task(n: int) -> int:
    runner = InMemoryRunner(inline_budget=0)
    runner.deploy(LOOP.format(n=n).replace("tasks:\n", "tasks:\n" + FIRST, 1))
    sizes: list[int] = []
    original = runner.bus.send

    def send(messages: list) -> None:  # type: ignore[type-arg]
        sizes.extend(len(json.dumps(m.body)) for m in messages if m.queue is QueueName.WORKER)
        original(messages)

    runner.bus.send = send  # type: ignore[method-assign]
    execution = runner.run("demo", "loop")
    assert execution.state.current == "SUCCESS"
    assert dict(next(r for r in execution.task_runs if r.task_id == "last").outputs) == {"value": str(n)}
    return max(sizes[:-1])  # the last task reads every iteration's outputs, and says so


def test_a_run_task_does_not_grow_with_the_execution() -> None:
    small, large = _largest_run_task(10), _largest_run_task(200)
    assert large < small * 1.2, (small, large)
