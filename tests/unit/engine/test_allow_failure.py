"""flow.AllowFailure: a failing block runs its handlers, ends WARNING and lets the flow go on."""

from __future__ import annotations

import pytest

from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution

RETURN = "io.kestra.plugin.core.debug.Return"
FAIL = "io.kestra.plugin.core.execution.Fail"


def flow(child: str, props: str = "", kind: str = "io.kestra.plugin.core.flow.AllowFailure") -> str:
    return f"""id: block
namespace: demo
tasks:
  - id: block
    type: {kind}{props}
    tasks:
      - id: child
        type: {child}
      - id: skipped_after_failure
        type: {RETURN}
        format: x
    errors:
      - id: local_error
        type: {RETURN}
        format: "{{{{ tasks.child.state }}}}"
    finally:
      - id: local_finally
        type: {RETURN}
        format: done
  - id: next
    type: {RETURN}
    format: next
errors:
  - id: flow_error
    type: {RETURN}
    format: never
"""


@pytest.fixture(params=[500, 0], ids=["inline", "workers"])
def runner(request: pytest.FixtureRequest) -> InMemoryRunner:
    return InMemoryRunner(inline_budget=request.param)


def run(runner: InMemoryRunner, source: str) -> Execution:
    runner.deploy(source)
    return runner.run("demo", "block")


def order(execution: Execution) -> list[str]:
    return [f"{r.task_id}:{r.state.current.value}" for r in execution.task_runs]


def test_a_failure_runs_the_handlers_and_ends_warning(runner: InMemoryRunner) -> None:
    ex = run(runner, flow(f"{FAIL}\n        errorMessage: boom"))
    assert ex.state.current == "WARNING"
    assert order(ex) == [
        "block:WARNING",
        "child:FAILED",
        "local_error:SUCCESS",
        "local_finally:SUCCESS",
        "next:SUCCESS",
    ]
    assert ex.task_runs.of_task("local_error")[0].outputs == {"value": "FAILED"}


@pytest.mark.parametrize(
    ("props", "state"),
    [
        # Kestra turns the failure into WARNING after the task's own flags: allowWarning alone keeps it.
        ("\n    allowWarning: true", "WARNING"),
        ("\n    allowFailure: true\n    allowWarning: true", "SUCCESS"),
    ],
)
def test_own_flags(runner: InMemoryRunner, props: str, state: str) -> None:
    ex = run(runner, flow(FAIL, props))
    assert ex.task_runs.of_task("block")[0].state.current == state


def test_success_is_plain_sequential(runner: InMemoryRunner) -> None:
    ex = run(runner, flow(f"{RETURN}\n        format: ok"))
    assert ex.state.current == "SUCCESS"
    assert order(ex) == [
        "block:SUCCESS",
        "child:SUCCESS",
        "skipped_after_failure:SUCCESS",
        "local_finally:SUCCESS",
        "next:SUCCESS",
    ]


def test_legacy_alias(runner: InMemoryRunner) -> None:
    ex = run(runner, flow(FAIL, kind="io.kestra.core.tasks.flows.AllowFailure"))
    assert ex.task_runs.of_task("block")[0].state.current == "WARNING"
