"""Executor semantics (spec part 1 §3, part 2 §7, §12) on the in-memory adapters, inline and via workers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from engine.ports import Commit

LOG = "io.kestra.plugin.core.log.Log"
RETURN = "io.kestra.plugin.core.debug.Return"
FAIL = "io.kestra.plugin.core.execution.Fail"


@pytest.fixture(params=[500, 0], ids=["inline", "workers"])
def runner(request: pytest.FixtureRequest) -> InMemoryRunner:
    return InMemoryRunner(inline_budget=request.param)


def run(runner: InMemoryRunner, source: str, **inputs: object) -> Execution:
    runner.deploy(source)
    first = source.split("id:", 1)[1].split("\n", 1)[0].strip()
    return runner.run("demo", first, inputs)


def order(execution: Execution) -> list[str]:
    return [
        f"{r.task_id}{'[' + r.value + ']' if r.value else ''}:{r.state.current.value}"
        for r in execution.task_runs
    ]


def outputs(execution: Execution, task_id: str) -> dict[str, object]:
    return dict(next(r for r in execution.task_runs if r.task_id == task_id).outputs)


def test_sequential_outputs_and_histories(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: seq
namespace: demo
tasks:
  - id: a
    type: {RETURN}
    format: "{{{{ flow.id }}}}"
  - id: b
    type: {RETURN}
    format: "{{{{ outputs.a.value }}}}-b"
""",
    )
    assert ex.state.current.value == "SUCCESS"
    assert order(ex) == ["a:SUCCESS", "b:SUCCESS"]
    assert outputs(ex, "b") == {"value": "seq-b"}
    b = ex.task_runs.of_task("b")[0]
    assert [h.state.value for h in b.state.histories] == ["CREATED", "SUBMITTED", "RUNNING", "SUCCESS"]
    assert [h.state.value for h in b.attempts[0].state.histories] == ["CREATED", "RUNNING", "SUCCESS"]
    assert [h.state.value for h in ex.state.histories] == ["CREATED", "RUNNING", "SUCCESS"]


def test_failure_path_errors_finally_after_execution(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: failure_path
namespace: demo
tasks:
  - id: a
    type: {LOG}
    message: a
  - id: b
    type: {FAIL}
  - id: c
    type: {LOG}
    message: c
errors:
  - id: e1
    type: {RETURN}
    format: "{{{{ tasks.b.state }}}}"
finally:
  - id: f1
    type: {RETURN}
    format: "{{{{ execution.state }}}}"
afterExecution:
  - id: ae
    type: {RETURN}
    format: "{{{{ execution.state }}}}"
""",
    )
    assert order(ex) == ["a:SUCCESS", "b:FAILED", "e1:SUCCESS", "f1:SUCCESS", "ae:SUCCESS"]
    assert ex.state.current.value == "FAILED"
    assert outputs(ex, "e1") == {"value": "FAILED"}
    assert outputs(ex, "f1") == {"value": "RUNNING"}
    assert outputs(ex, "ae") == {"value": "FAILED"}
    assert ex.task_runs.of_task("ae")[0].force_execution
    messages = [entry.message for entry in runner.store.logs(ex.id) if entry.task_id == "b"]
    assert messages == ["Task failure"]


def test_allow_failure_warning_and_skip(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: common_props
namespace: demo
tasks:
  - id: skipped
    type: {LOG}
    runIf: "{{{{ 1 == 2 }}}}"
    message: never
  - id: off
    type: {LOG}
    disabled: true
    message: never
  - id: flaky
    type: {FAIL}
    allowFailure: true
  - id: last
    type: {RETURN}
    format: "{{{{ tasks.skipped.state }}}}"
""",
    )
    assert order(ex) == ["skipped:SKIPPED", "flaky:WARNING", "last:SUCCESS"]
    assert ex.state.current.value == "WARNING"
    assert outputs(ex, "last") == {"value": "SKIPPED"}
    flaky = ex.task_runs.of_task("flaky")[0]
    assert flaky.attempts[-1].state.current.value == "FAILED"


def test_nested_local_errors_do_not_catch(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: errors_nested
namespace: demo
tasks:
  - id: outer
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: inner
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - id: boom
            type: {FAIL}
        errors:
          - id: inner_handler
            type: {RETURN}
            format: "{{{{ task.id }}}}"
    errors:
      - id: outer_handler
        type: {RETURN}
        format: "{{{{ task.id }}}}"
  - id: never_runs
    type: {LOG}
    message: unreachable
errors:
  - id: flow_handler
    type: {LOG}
    message: handled
""",
    )
    assert ex.state.current.value == "FAILED"
    assert order(ex) == [
        "outer:FAILED",
        "inner:FAILED",
        "boom:FAILED",
        "inner_handler:SUCCESS",
        "outer_handler:SUCCESS",
        "flow_handler:SUCCESS",
    ]
    assert outputs(ex, "inner_handler") == {"value": "inner_handler"}


def test_parallel_with_concurrent_limit_and_failure(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: trace
namespace: demo
tasks:
  - id: a
    type: {RETURN}
    format: a
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    concurrent: 1
    tasks:
      - id: p1
        type: {RETURN}
        format: p1
      - id: p2
        type: {FAIL}
    errors:
      - id: pe
        type: {RETURN}
        format: pe
  - id: z
    type: {RETURN}
    format: z
finally:
  - id: fin
    type: {RETURN}
    format: fin
""",
    )
    assert ex.state.current.value == "FAILED"
    assert order(ex) == ["a:SUCCESS", "par:FAILED", "p1:SUCCESS", "p2:FAILED", "pe:SUCCESS", "fin:SUCCESS"]


@pytest.mark.parametrize(("value", "expected"), [("0", "else_log"), ("yes", "then_log")])
def test_if_evaluates_once(runner: InMemoryRunner, value: str, expected: str) -> None:
    ex = run(
        runner,
        f"""id: branch
namespace: demo
inputs:
  - id: v
    type: STRING
tasks:
  - id: cond
    type: io.kestra.plugin.core.flow.If
    condition: "{{{{ inputs.v }}}}"
    then:
      - id: then_log
        type: {LOG}
        message: then
    else:
      - id: else_log
        type: {LOG}
        message: else
""",
        v=value,
    )
    assert order(ex) == ["cond:SUCCESS", f"{expected}:SUCCESS"]
    assert outputs(ex, "cond") == {"evaluationResult": value != "0"}


@pytest.mark.parametrize(
    ("value", "expected_state", "children"),
    [
        ("FIRST", "SUCCESS", ["one:SUCCESS"]),
        ("OTHER", "SUCCESS", ["dflt:SUCCESS"]),
        ("1", "SUCCESS", ["num:SUCCESS"]),
    ],
)
def test_switch(runner: InMemoryRunner, value: str, expected_state: str, children: list[str]) -> None:
    ex = run(
        runner,
        f"""id: switch
namespace: demo
inputs:
  - id: v
    type: STRING
tasks:
  - id: sw
    type: io.kestra.plugin.core.flow.Switch
    value: "{{{{ inputs.v }}}}"
    cases:
      FIRST:
        - id: one
          type: {LOG}
          message: one
      1:
        - id: num
          type: {LOG}
          message: num
    defaults:
      - id: dflt
        type: {LOG}
        message: default
""",
        v=value,
    )
    assert ex.state.current.value == expected_state
    assert order(ex) == [f"sw:{expected_state}", *children]
    assert outputs(ex, "sw") == {"value": value, "defaults": children == ["dflt:SUCCESS"]}


def test_switch_without_match_or_defaults_fails(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: impossible
namespace: demo
tasks:
  - id: sw
    type: io.kestra.plugin.core.flow.Switch
    value: nope
    cases:
      a:
        - id: one
          type: {LOG}
          message: one
""",
    )
    assert order(ex) == ["sw:FAILED"]
    assert ex.state.current.value == "FAILED"


def test_foreach_outputs_keyed_by_value_and_concurrency(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: loop
namespace: demo
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["x", "y", "x", 3]
    concurrencyLimit: 2
    tasks:
      - id: echo
        type: {RETURN}
        format: "{{{{ taskrun.value }}}}-{{{{ taskrun.iteration }}}}"
      - id: again
        type: {RETURN}
        format: "{{{{ outputs.echo[taskrun.value].value }}}}!"
  - id: after
    type: {RETURN}
    format: "{{{{ outputs.echo['y'].value }}}} {{{{ outputs.again['3'].value }}}}"
""",
    )
    assert ex.state.current.value == "SUCCESS"
    assert len(ex.task_runs) == 1 + 3 * 2 + 1
    assert outputs(ex, "after") == {"value": "y-1 3-2!"}
    each = ex.task_runs.of_task("each")[0]
    assert all(r.parent_task_run_id == each.id for r in ex.task_runs.of_task("echo"))
    # At most two iteration groups were ever in flight: the third started after the first ended.
    echo = {r.value: r for r in ex.task_runs.of_task("echo")}
    again = {r.value: r for r in ex.task_runs.of_task("again")}
    assert echo["3"].seq > min(again["x"].seq, again["y"].seq)


def test_nested_foreach_outputs_tree(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: nested
namespace: demo
tasks:
  - id: outer
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b"]
    tasks:
      - id: inner
        type: io.kestra.plugin.core.flow.ForEach
        values: ["1", "2"]
        concurrencyLimit: 0
        tasks:
          - id: leaf
            type: {RETURN}
            format: "{{{{ parent.taskrun.value }}}}{{{{ taskrun.value }}}}"
  - id: read
    type: {RETURN}
    format: "{{{{ outputs.leaf['b']['2'].value }}}}"
""",
    )
    assert ex.state.current.value == "SUCCESS"
    assert outputs(ex, "read") == {"value": "b2"}


def test_legacy_each_parallel_and_empty_values(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: each
namespace: demo
tasks:
  - id: par
    type: io.kestra.core.tasks.flows.EachParallel
    value: '["v1", "v2"]'
    tasks:
      - id: t
        type: {LOG}
        message: "{{{{ taskrun.value }}}}"
  - id: empty
    type: io.kestra.plugin.core.flow.EachSequential
    value: []
    tasks:
      - id: never
        type: {LOG}
        message: never
""",
    )
    assert ex.state.current.value == "SUCCESS"
    assert order(ex) == ["par:SUCCESS", "t[v1]:SUCCESS", "t[v2]:SUCCESS", "empty:SUCCESS"]


def test_all_tasks_disabled_ends_success_without_task_runs(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: nothing
namespace: demo
tasks:
  - id: a
    type: {LOG}
    message: a
    disabled: true
""",
    )
    assert ex.state.current.value == "SUCCESS"
    assert len(ex.task_runs) == 0


def test_sleep_waits_on_a_timer(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: sleepy
namespace: demo
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT10M
  - id: after
    type: {LOG}
    message: awake
""",
    )
    assert order(ex) == ["nap:SUCCESS", "after:SUCCESS"]
    nap = ex.task_runs.of_task("nap")[0]
    assert nap.state.end_date is not None
    assert nap.state.end_date - nap.state.start_date >= timedelta(minutes=10)


def test_undefined_variable_fails_the_task_with_a_clear_message(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: undefined
namespace: demo
tasks:
  - id: bad
    type: {LOG}
    message: "{{{{ inputs.missing }}}}"
""",
    )
    assert ex.state.current.value == "FAILED"
    (entry,) = [e for e in runner.store.logs(ex.id) if e.task_id == "bad"]
    assert entry.level == "ERROR"
    assert "property 'message' of task 'bad'" in entry.message
    assert "inputs.missing" in entry.message


def test_a_large_inline_fan_out_writes_each_task_run_once() -> None:
    """Loops create inline iterations no faster than a step runs them (decision 0003), so no task run
    is written CREATED in one step and again in the next."""
    runner = InMemoryRunner(inline_budget=50)
    writes: dict[str, int] = {}
    commit = runner.store.commit

    def counting(change: Commit) -> int:
        for run_id in change.changed:
            writes[run_id] = writes.get(run_id, 0) + 1
        return commit(change)

    runner.store.commit = counting  # type: ignore[method-assign]
    values = ", ".join(f'"v{i}"' for i in range(180))
    ex = run(
        runner,
        f"""id: fan
namespace: demo
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [{values}]
    concurrencyLimit: 0
    tasks:
      - id: item
        type: {RETURN}
        format: "{{{{ taskrun.value }}}}"
""",
    )
    assert ex.state.current.value == "SUCCESS"
    assert len(ex.task_runs) == 181
    items = {r.id for r in ex.task_runs.of_task("item")}
    assert {writes[i] for i in items} == {1}


def test_foreach_whose_tasks_are_all_disabled_ends_success(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""id: off
namespace: demo
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b"]
    tasks:
      - id: never
        type: {LOG}
        message: never
        disabled: true
  - id: after
    type: {LOG}
    message: after
""",
    )
    assert order(ex) == ["each:SUCCESS", "after:SUCCESS"]
