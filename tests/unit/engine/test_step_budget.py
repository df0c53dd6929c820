"""A step writes at most what one transaction takes (design §4: a step is atomic); large fan-outs, kills and
endings spread over consecutive steps and end exactly as they would in one."""

from __future__ import annotations

from typing import Any

import pytest

from engine.memory.execution_store import InMemoryExecutionStore
from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from engine.ports import Commit

SMALL = 7
# One action after the last check of a full step may write a few more runs (a task run and its ancestors).
MARGIN = 3


class CountingStore(InMemoryExecutionStore):
    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def commit(self, commit: Commit) -> int:
        self.sizes.append(len(commit.changed | commit.removed))
        return super().commit(commit)


def _run(source: str, budget: int | None, inline: int, **inputs: Any) -> tuple[Execution, list[int]]:
    store = CountingStore()
    runner = InMemoryRunner(inline_budget=inline, max_writes=budget, store=store)
    runner.deploy(source)
    return runner.run("demo", source.split("id:", 1)[1].split("\n", 1)[0].strip(), inputs), store.sizes


def _outcome(execution: Execution) -> Any:
    runs = sorted(
        (r.task_id, r.value or "", r.state.current.value, len(r.attempts)) for r in execution.task_runs
    )
    return execution.state.current.value, runs


FLOWS = {
    "foreach": """id: wide
namespace: demo
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{ range(1, 40) }}"
    concurrencyLimit: 0
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value }}"
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: done
""",
    "parallel-failing": """id: fanout
namespace: demo
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
"""
    + "".join(
        f"      - id: t{n}\n        type: io.kestra.plugin.core.flow.Sleep\n        duration: PT{n + 1}M\n"
        for n in range(25)
    )
    + """      - id: boom
        type: io.kestra.plugin.core.execution.Fail
errors:
  - id: handled
    type: io.kestra.plugin.core.log.Log
    message: handled
""",
}


@pytest.mark.parametrize("inline", [0, 500], ids=["workers", "inline"])
@pytest.mark.parametrize("name", sorted(FLOWS))
def test_small_steps_end_as_one_large_step_would(name: str, inline: int) -> None:
    reference, _ = _run(FLOWS[name], None, inline)
    execution, sizes = _run(FLOWS[name], SMALL, inline)
    assert _outcome(execution) == _outcome(reference)
    assert max(sizes) <= SMALL + MARGIN
    assert max(_run(FLOWS[name], None, inline)[1]) > SMALL + MARGIN  # the flow does need several steps


def test_a_kill_of_many_waiting_runs_spreads_over_steps() -> None:
    store = CountingStore()
    runner = InMemoryRunner(max_writes=SMALL, store=store)
    runner.deploy(
        FLOWS["parallel-failing"].replace(
            "      - id: boom\n        type: io.kestra.plugin.core.execution.Fail\n", ""
        )
    )
    execution = runner.services.executions.create("demo", "fanout")
    runner.drain_now()
    runner.services.executions.kill(execution.id)
    runner.drain()
    killed = runner.services.executions.get(execution.id)
    assert killed.state.current == "KILLED"
    assert {r.state.current.value for r in killed.task_runs if r.task_id.startswith("t")} == {"KILLED"}
    assert max(store.sizes) <= SMALL + MARGIN
