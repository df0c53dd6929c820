"""Exit, Labels, SetVariables and UnsetVariables (spec part 1 §5, §10, part 2 §1.5): run by the executor, seen
by later tasks."""

from __future__ import annotations

import pytest

from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution

RETURN = "io.kestra.plugin.core.debug.Return"
LABELS = "io.kestra.plugin.core.execution.Labels"
SET = "io.kestra.plugin.core.execution.SetVariables"
UNSET = "io.kestra.plugin.core.execution.UnsetVariables"
EXIT = "io.kestra.plugin.core.execution.Exit"


@pytest.fixture
def runner() -> InMemoryRunner:
    return InMemoryRunner()


def run(
    runner: InMemoryRunner, tasks: str, head: str = "", labels: list[tuple[str, str]] | None = None
) -> Execution:
    runner.deploy(f"id: flow\nnamespace: demo\n{head}tasks:\n{tasks}")
    return runner.run("demo", "flow", {}, labels or [])


def value(execution: Execution, task_id: str) -> object:
    return execution.task_runs.of_task(task_id)[0].outputs["value"]


def state(execution: Execution, task_id: str) -> str:
    return execution.task_runs.of_task(task_id)[0].state.current.value


def error(runner: InMemoryRunner, execution: Execution, task_id: str) -> str:
    (entry,) = [e for e in runner.store.logs(execution.id) if e.task_id == task_id and e.level == "ERROR"]
    return entry.message


def user_labels(execution: Execution) -> dict[str, str]:
    return {label.key: label.value for label in execution.labels if not label.key.startswith("system.")}


def test_labels_in_every_form_merge_into_the_execution_and_are_rendered_later(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""  - id: by_map
    type: {LABELS}
    labels:
      env: "{{{{ flow.id }}}}-prod"
      count: 3
      ratio: 2.5
      on: true
      meta: {{a: "{{{{ flow.namespace }}}}"}}
  - id: by_list
    type: {LABELS}
    labels:
      - {{key: team, value: b}}
      - {{key: team, value: c}}
  - id: by_json
    type: io.kestra.core.tasks.executions.Labels
    labels: '{{"json": 1.50, "flag": false}}'
  - id: show
    type: {RETURN}
    format: >-
      {{{{ labels.env }}}} {{{{ labels.team }}}} {{{{ labels.json }}}}
      {{{{ labels.system.correlationId == execution.id }}}}
""",
        head="labels: {team: a, keep: yes}\n",
        labels=[("env", "qa")],
    )
    assert ex.state.current.value == "SUCCESS"
    assert user_labels(ex) == {
        "team": "c",
        "keep": "yes",
        "env": "flow-prod",
        "count": "3",
        "ratio": "2.5",
        "on": "true",
        "meta": '{"a":"demo"}',
        "json": "1.50",
        "flag": "false",
    }
    assert value(ex, "show") == "flow-prod c 1.50 true"
    assert ("system.correlationId", ex.id) in [(label.key, label.value) for label in ex.labels]


def test_a_system_label_fails_the_task_and_changes_nothing(runner: InMemoryRunner) -> None:
    ex = run(runner, f"  - id: bad\n    type: {LABELS}\n    labels: {{ok: x, system.foo: bar}}\n")
    assert ex.state.current.value == "FAILED"
    assert (
        error(runner, ex, "bad")
        == "System labels can only be set by Kestra itself, offending label: system.foo=bar"
    )
    assert user_labels(ex) == {}


def test_an_empty_value_fails_the_task_an_empty_key_is_dropped(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""  - id: no_key
    type: {LABELS}
    labels: '{{"": "v", "k": "v"}}'
  - id: no_value
    type: {LABELS}
    labels: [{{key: k2, value: ""}}]
""",
    )
    assert state(ex, "no_key") == "SUCCESS"
    assert state(ex, "no_value") == "FAILED"
    assert error(runner, ex, "no_value") == "Label values cannot be empty, offending label: k2"
    assert user_labels(ex) == {"k": "v"}


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("\"{{ '[1]' }}\"", "Unable to parse the labels '[1]' as a JSON object of strings"),
        ('\'{"a": {"b": 1}}\'', 'Unable to parse the labels \'{"a": {"b": 1}}\' as a JSON object of strings'),
        ("{'{{ \"k\" }}': a, k: b}", "Duplicate key k (attempted merging values a and b)"),
        ("[{value: a}]", "A label needs a string key, got: {value=a}"),
        ("{k: null}", "Label values cannot be null, offending label: k"),
    ],
)
def test_labels_that_cannot_be_read_fail_the_task(runner: InMemoryRunner, labels: str, message: str) -> None:
    ex = run(runner, f"  - id: bad\n    type: {LABELS}\n    labels: {labels}\n")
    assert state(ex, "bad") == "FAILED"
    assert error(runner, ex, "bad") == message


def test_set_variables_deep_merges_and_later_tasks_see_vars(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""  - id: set
    type: {SET}
    variables:
      name: "{{{{ flow.id }}}}"
      conf: {{b: 2}}
      tags: [y, z]
      n: 4
      keep: null
  - id: from_json
    type: {SET}
    variables: '{{"greeting": "hi {{{{ vars.name }}}}"}}'
  - id: from_expression
    type: {SET}
    variables: "{{{{ vars.conf }}}}"
  - id: show
    type: {RETURN}
    format: >-
      {{{{ vars.greeting }}}} {{{{ vars.conf.a }}}}{{{{ vars.conf.b }}}}
      {{{{ vars.tags | join(',') }}}} {{{{ vars.a }}}}
""",
        head="variables: {name: World, keep: me, conf: {a: 1}, tags: [x, y]}\n",
    )
    assert ex.state.current.value == "SUCCESS"
    assert ex.variables == {
        "name": "flow",
        "keep": "me",
        "conf": {"a": 1, "b": 2},
        "tags": ["x", "y", "z"],
        "n": 4,
        "greeting": "hi flow",
        "a": 1,
        "b": 2,
    }
    assert value(ex, "show") == "hi flow 12 x,y,z 1"


def test_set_variables_in_a_flow_without_variables(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""  - id: set
    type: {SET}
    variables: {{x: "{{{{ taskrun.id }}}}"}}
  - id: show
    type: {RETURN}
    format: "{{{{ vars.x }}}}"
""",
    )
    assert value(ex, "show") == ex.task_runs.of_task("set")[0].id


def test_set_variables_without_overwrite_fails_on_existing_keys(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""  - id: set
    type: {SET}
    overwrite: "{{{{ 1 == 2 }}}}"
    variables: {{a: 1, new: 2, b: 3}}
""",
        head="variables: {a: 0, b: 0}\n",
    )
    assert state(ex, "set") == "FAILED"
    assert error(runner, ex, "set") == (
        "`overwrite` is set to false and the following variables already exist: a,b"
    )
    assert ex.variables == {"a": 0, "b": 0}


def test_set_variables_rejects_what_is_not_a_map(runner: InMemoryRunner) -> None:
    ex = run(runner, f'  - id: set\n    type: {SET}\n    variables: "{{{{ [1, 2] }}}}"\n')
    assert state(ex, "set") == "FAILED"
    assert error(runner, ex, "set") == "Property 'variables' must be a map, got '[1,2]'"


def test_unset_variables_removes_top_level_and_dotted_keys(runner: InMemoryRunner) -> None:
    ex = run(
        runner,
        f"""  - id: unset
    type: {UNSET}
    variables: [a, "{{{{ 'conf' }}}}.inner.x", missing, conf.missing]
  - id: show
    type: {RETURN}
    format: "{{{{ vars.a ?? 'gone' }}}} {{{{ vars.conf.inner }}}}"
""",
        head="variables: {a: 1, b: 2, conf: {inner: {x: 1, y: 2}}}\n",
    )
    assert ex.state.current.value == "SUCCESS"
    assert ex.variables == {"b": 2, "conf": {"inner": {"y": 2}}}
    assert value(ex, "show") == 'gone {"y":2}'


@pytest.mark.parametrize("ignore_missing", ["true", "false"])
def test_unset_variables_fails_when_a_parent_is_not_a_map(
    runner: InMemoryRunner, ignore_missing: str
) -> None:
    ex = run(
        runner,
        f"""  - id: unset
    type: {UNSET}
    ignoreMissing: {ignore_missing}
    variables: [a, b.c]
""",
        head="variables: {a: 1, b: text}\n",
    )
    assert state(ex, "unset") == "FAILED"
    assert error(runner, ex, "unset") == "Unable to unset variable 'b.c': 'b' is not a map"
    assert ex.variables == {"a": 1, "b": "text"}


def test_an_invalid_boolean_flag_fails_the_task(runner: InMemoryRunner) -> None:
    ex = run(runner, f"  - id: unset\n    type: {UNSET}\n    ignoreMissing: maybe\n    variables: [a]\n")
    assert state(ex, "unset") == "FAILED"
    assert (
        error(runner, ex, "unset")
        == "Invalid value 'maybe' for property 'ignoreMissing': only \"true\" or \"false\" recognized"
    )


@pytest.mark.parametrize(
    ("written", "ended"),
    [
        ("SUCCESS", "SUCCESS"),
        ("WARNING", "WARNING"),
        ("FAILED", "FAILED"),
        ("CANCELLED", "CANCELLED"),
        ("CANCELED", "CANCELLED"),  # the US spelling Kestra also reads
        ("KILLED", "KILLED"),
    ],
)
def test_exit_ends_the_execution_and_its_parents_in_the_state_given(
    runner: InMemoryRunner, written: str, ended: str
) -> None:
    tasks = (
        "  - id: seq\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks:\n"
        f"      - {{id: stop, type: {EXIT}, state: {written}}}\n"
        f"  - {{id: never, type: {RETURN}, format: x}}\n"
    )
    execution = run(runner, tasks)
    assert execution.state.current == ended
    assert (state(execution, "stop"), state(execution, "seq")) == (ended, ended)
    assert not execution.task_runs.of_task("never")
