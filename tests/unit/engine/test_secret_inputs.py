"""SECRET inputs: clear when rendered in a task, masked in every log line (spec part 1 §6.2)."""

from __future__ import annotations

import pytest

from kite.engine.flow import Input
from kite.engine.memory.runner import InMemoryRunner
from kite.engine.worker.services import PortServices

FLOW = """
id: secrets
namespace: demo
inputs:
  - id: token
    type: SECRET
  - id: db.password
    type: SECRET
    defaults: hunter2-and-more
  - id: user
    type: STRING
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.user }} {{ inputs.token }} {{ inputs.db.password }} {{ inputs.db.password | upper }}"
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: "bad {{ inputs.token }}"
    allowFailure: true
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.token }}"
"""


@pytest.fixture(params=[500, 0], ids=["inline", "workers"])
def runner(request: pytest.FixtureRequest) -> InMemoryRunner:
    return InMemoryRunner(inline_budget=request.param)


def test_secret_inputs_are_masked_in_task_logs_but_clear_when_rendered(runner: InMemoryRunner) -> None:
    runner.deploy(FLOW)
    execution = runner.run("demo", "secrets", {"token": "t0k3n", "user": "ada"})
    logs = {entry.task_id: entry.message for entry in runner.services.executions.logs(execution.id)}
    # Only the exact values are masked: a value changed by a filter is not the secret any more.
    assert logs["log"] == "ada ****** ****** HUNTER2-AND-MORE"
    assert logs["fail"] == "bad ******"
    assert execution.task_runs.of_task("echo")[0].outputs == {"value": "t0k3n"}


def test_secret_input_values_follow_dotted_ids_and_skip_what_cannot_be_masked() -> None:
    kinds = {"a.b": "SECRET", "c": "SECRET", "d": "SECRET", "plain": "STRING", "gone": "SECRET"}
    declared = [Input.model_validate({"id": i, "type": t}) for i, t in kinds.items()]
    inputs = {"a": {"b": "x1"}, "c": "", "d": 42, "plain": "visible"}
    assert PortServices.secret_inputs(declared, inputs) == {"x1"}
    assert PortServices.secret_inputs(None, None) == set()
