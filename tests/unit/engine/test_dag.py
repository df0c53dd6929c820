"""flow.Dag: dependency order, `concurrent`, local error handling and the load-time graph checks."""

from __future__ import annotations

import pytest

from engine.flow.loader import InvalidFlowError, parse_flow
from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from engine.tasks.dag import Dag

RETURN = "io.kestra.plugin.core.debug.Return"


@pytest.fixture(params=[500, 0], ids=["inline", "workers"])
def runner(request: pytest.FixtureRequest) -> InMemoryRunner:
    return InMemoryRunner(inline_budget=request.param)


def node(task_id: str, fmt: str, *depends_on: str, extra: str = "") -> str:
    deps = f"\n        dependsOn: [{', '.join(depends_on)}]" if depends_on else ""
    return f"""
      - task:
          id: {task_id}
          type: {RETURN}
          format: "{fmt}"{extra}{deps}"""


def dag_flow(*nodes: str, props: str = "") -> str:
    return f"""id: graph
namespace: demo
tasks:
  - id: dag
    type: io.kestra.plugin.core.flow.Dag{props}
    tasks:{"".join(nodes)}
"""


def run(runner: InMemoryRunner, source: str) -> Execution:
    runner.deploy(source)
    return runner.run("demo", "graph")


def states(execution: Execution) -> dict[str, str]:
    return {r.task_id: r.state.current.value for r in execution.task_runs}


def value(execution: Execution, task_id: str) -> object:
    return execution.task_runs.of_task(task_id)[0].outputs["value"]


def test_a_task_starts_once_all_it_depends_on_have_ended(runner: InMemoryRunner) -> None:
    # Declared out of order: only the dependencies decide. `d` renders the outputs of both its
    # dependencies, which exist only if they ended before it started.
    ex = run(
        runner,
        dag_flow(
            node("d", "{{ outputs.b.value }}{{ outputs.c.value }}", "b", "c"),
            node("b", "b{{ outputs.a.value }}", "a"),
            node("a", "a"),
            node("c", "c{{ outputs.a.value }}", "a"),
        ),
    )
    assert ex.state.current == "SUCCESS"
    assert value(ex, "d") == "baca"
    created = [r.task_id for r in ex.task_runs]
    assert created[:2] == ["dag", "a"] and created[-1] == "d"


def test_concurrent_limits_the_tasks_in_flight(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        dag_flow(
            node("a", "a"),
            node("b", "b"),
            node("c", "{{ outputs.a.value }}{{ outputs.b.value }}"),
            props="\n    concurrent: 1",
        ),
    )
    assert ex.state.current == "SUCCESS"
    assert value(ex, "c") == "ab"


def test_a_failure_stops_scheduling_and_runs_errors_then_finally(runner: InMemoryRunner) -> None:
    source = dag_flow(
        node("a", "a"),
        node("boom", "{{ outputs.nope.value }}", "a"),
        node("after", "never", "boom"),
    ) + (
        f"""    errors:
      - id: e1
        type: {RETURN}
        format: e1
    finally:
      - id: f1
        type: {RETURN}
        format: f1
  - id: next
    type: {RETURN}
    format: never
"""
    )
    ex = run(runner, source)
    assert ex.state.current == "FAILED"
    assert [r.task_id for r in ex.task_runs] == ["dag", "a", "boom", "e1", "f1"]
    assert states(ex) == {"dag": "FAILED", "a": "SUCCESS", "boom": "FAILED", "e1": "SUCCESS", "f1": "SUCCESS"}


def test_a_disabled_dependency_does_not_block(runner: InMemoryRunner) -> None:
    ex = run(runner, dag_flow(node("off", "off", extra="\n          disabled: true"), node("b", "b", "off")))
    assert ex.state.current == "SUCCESS"
    assert states(ex) == {"dag": "SUCCESS", "b": "SUCCESS"}


def test_legacy_alias() -> None:
    flow = parse_flow(dag_flow(node("a", "a")).replace("plugin.core.flow.Dag", "core.tasks.flows.Dag"))
    assert isinstance(flow.tasks[0], Dag)


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        (
            [node("a", "a", "x"), node("b", "b", "a", "y"), node("c", "c", "x")],
            "Not existing task id in dependency: x, y, x",
        ),
        (
            [node("a", "a", "b"), node("b", "b", "a"), node("c", "c", "b"), node("d", "d", "d")],
            "Cyclic dependency detected: a, b, d",
        ),
    ],
)
def test_graph_errors_are_reported_at_load_time(nodes: list[str], message: str) -> None:
    with pytest.raises(InvalidFlowError) as caught:
        parse_flow(dag_flow(*nodes), "f.yaml")
    assert [str(p) for p in caught.value.problems] == [f"f.yaml:4:5: tasks[0]: {message}"]
