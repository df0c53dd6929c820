"""Task functions and aws.lambda.Invoke on the embedded stack, the functions run in-process (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.functions.greet import handler as greet
from infra.cli.main import main
from infra.embedded.local import LocalKite

EXAMPLES = Path(__file__).parents[2] / "examples" / "functions"

TYPED = """id: typed
namespace: company.team
tasks:
  - id: hello
    type: com.example.Greet
    name: "{{ flow.id }}"
    retry:
      type: constant
      interval: PT1S
      maxAttempts: 2
  - id: use
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.hello.greeting }} ({{ outputs.hello.letters }})"
  - id: broken
    type: com.example.Greet
    allowFailure: true
"""


def test_a_task_function_runs_under_its_type_with_outputs_logs_and_errors() -> None:
    from infra.cli.common import local_functions

    functions = local_functions(["com.example.Greet=examples.functions.greet:handler"])
    with LocalKite(inline_budget=0, functions=functions) as kite:
        kite.deploy(TYPED)
        execution = kite.run("company.team", "typed")
        logs = [(e.task_id, e.level, e.message) for e in kite.services.executions.logs(execution.id)]
    runs = {run.task_id: run for run in execution.task_runs}
    assert runs["hello"].outputs == {"greeting": "Hello typed!", "letters": 5}
    assert ("use", "INFO", "Hello typed! (5)") in logs
    greeted = [message for task, _, message in logs if task == "hello"]
    assert greeted and greeted[0].startswith("greeting typed in task run")
    assert runs["broken"].state.current.value == "WARNING"
    assert ("broken", "ERROR", "ValueError: a name is required") in logs


def test_the_example_flow_invokes_its_function_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    flow = str(EXAMPLES / "invoke_greet.yaml")
    function = "greet=examples.functions.greet:handler"
    code = main(["run", flow, "--fast-forward", "--json", "--logs", "--function", function])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    run = next(r for r in json.loads(captured.out)["taskRunList"] if r["taskId"] == "greet")
    assert run["outputs"]["contentType"] == "application/json"
    assert run["outputs"]["contentLength"] > 0
    assert '[INFO] show: {"outputs": {"greeting": "Hello Ada!"' in captured.err  # `--logs`


def test_lambda_invoke_stores_the_function_response_as_a_file() -> None:
    from infra.cli.common import local_functions

    functions = local_functions(["greet=examples.functions.greet:handler"])
    with LocalKite(inline_budget=0, functions=functions) as kite:
        kite.deploy((EXAMPLES / "invoke_greet.yaml").read_text())
        execution = kite.run("company.team", "invoke_greet", inputs={"name": "Grace"})
        shown = [e.message for e in kite.services.executions.logs(execution.id) if e.task_id == "show"]
    assert execution.state.current.value == "SUCCESS"
    response = json.loads(shown[0])
    assert response["outputs"] == {"greeting": "Hello Grace!", "letters": 5}


def test_the_sdk_turns_a_function_into_a_lambda_handler() -> None:
    answer = greet({"properties": {"name": "Bob"}, "taskRun": {"id": "r1"}}, None)
    assert answer == {
        "outputs": {"greeting": "Hello Bob!", "letters": 3},
        "logs": [{"level": "INFO", "message": "greeting Bob in task run r1"}],
    }
    assert greet({"properties": {}}, None)["error"] == "ValueError: a name is required"


def test_a_bad_function_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    flow = str(EXAMPLES / "invoke_greet.yaml")
    assert main(["run", flow, "--function", "greet=nowhere"]) == 2
    assert "--function must be NAME=module:handler" in capsys.readouterr().err
