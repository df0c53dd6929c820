"""LoopUntil / WaitFor: iterations, waits on timers, limits."""

from __future__ import annotations

import pytest

from engine.memory.runner import InMemoryRunner


def _flow(condition: str, extra: str = "") -> str:
    return f"""
id: loop
namespace: demo
tasks:
  - id: loop
    type: io.kestra.plugin.core.flow.LoopUntil
    condition: "{condition}"
    checkFrequency:
      interval: PT30S
{extra}
    tasks:
      - id: count
        type: io.kestra.plugin.core.debug.Return
        format: "{{{{ outputs.loop.iterationCount }}}}"
"""


@pytest.mark.parametrize(
    ("condition", "extra", "state", "iterations", "waits"),
    [
        ("{{ outputs.count.value == '3' }}", "", "SUCCESS", 3, 2),
        ("{{ false }}", "      maxIterations: 2", "SUCCESS", 2, 1),
        # Kestra counts the iteration it refuses to start when it fails on the limit.
        ("{{ false }}", "      maxIterations: 2\n    failOnMaxReached: true", "FAILED", 3, 1),
        ("{{ false }}", "      maxDuration: PT1M", "SUCCESS", 3, 2),
    ],
)
def test_iterations(condition: str, extra: str, state: str, iterations: int, waits: int) -> None:
    runner = InMemoryRunner()
    runner.deploy(_flow(condition, extra))
    execution = runner.run("demo", "loop")
    loop, *children = list(execution.task_runs)
    assert execution.state.current == state
    assert loop.outputs["iterationCount"] == iterations
    # Only the last iteration's children are kept, and each wait was one interval on the timer.
    assert len(children) == 1
    waited = [h for h in execution.state.histories if h.state == "PAUSED"]
    assert len(waited) == waits
    elapsed = execution.state.end_date - execution.state.start_date  # type: ignore[operator]
    assert elapsed.total_seconds() == 30 * waits
