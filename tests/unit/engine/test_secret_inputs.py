"""SECRET inputs: encrypted at rest, clear when rendered in a task, masked in every log line (spec part 1
§6.2)."""

from __future__ import annotations

import base64
import json

import pytest

from engine.config import ConfigError, EngineConfig
from engine.creation.inputs import InvalidInputsError
from engine.creation.secret_inputs import NOT_CONFIGURED, decrypt, encrypt, reveal_secrets, seal_secrets
from engine.memory.resources import in_memory_resources
from engine.memory.runner import TEST_KEY, InMemoryRunner
from engine.model.aes import DecryptionError
from engine.model.serde import execution_to_json
from engine.runtime.port_services import PortServices
from engine.task_api import Input

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
    # Never in outputs either, whichever path ran the task.
    assert execution.task_runs.of_task("echo")[0].outputs == {"value": "******"}
    # At rest, and in every message, the execution's inputs are ciphertext.
    stored = json.dumps(execution_to_json(runner.services.executions.get(execution.id))["inputs"])
    assert "t0k3n" not in stored and "hunter2" not in stored
    assert decrypt([TEST_KEY], execution.inputs["token"]) == "t0k3n"
    assert execution.inputs["user"] == "ada"


def test_without_a_key_a_secret_input_is_refused_as_kestra_does() -> None:
    runner = InMemoryRunner(config=EngineConfig())
    runner.deploy(FLOW)
    with pytest.raises(InvalidInputsError) as refused:
        runner.services.executions.create("demo", "secrets", {"token": "t", "user": "u"})
    assert str(refused.value).splitlines() == [NOT_CONFIGURED, NOT_CONFIGURED]


def test_a_secret_passed_to_a_subflow_is_encrypted_in_the_child_too() -> None:
    runner = InMemoryRunner()
    runner.deploy(FLOW)
    runner.deploy(
        "id: parent\nnamespace: demo\ninputs:\n  - {id: pw, type: SECRET}\ntasks:\n  - id: call\n"
        "    type: io.kestra.plugin.core.flow.Subflow\n    namespace: demo\n    flowId: secrets\n"
        "    inputs: {token: '{{ inputs.pw }}', user: bob}\n"
    )
    parent = runner.run("demo", "parent", {"pw": "s3cr3t"})
    (child,) = [e for e in runner.store.search() if e.id != parent.id]
    child = runner.services.executions.get(child.id)
    assert "s3cr3t" not in json.dumps(execution_to_json(child)["inputs"])
    assert decrypt([TEST_KEY], child.inputs["token"]) == "s3cr3t"
    assert child.task_runs.of_task("echo")[0].outputs == {"value": "******"}


def test_seal_and_reveal_round_trip_on_dotted_ids_only() -> None:
    declared = [Input.model_validate({"id": i, "type": t}) for i, t in (("a.b", "SECRET"), ("c", "STRING"))]
    inputs = {"a": {"b": "x", "other": "y"}, "c": "z"}
    sealed = seal_secrets(declared, inputs, TEST_KEY, bytes)
    assert sealed["a"]["b"] == encrypt(TEST_KEY, "x", bytes(12)) and sealed["a"]["other"] == "y"
    assert sealed["c"] == "z" and inputs["a"]["b"] == "x"
    assert reveal_secrets(declared, sealed, [TEST_KEY]) == inputs


@pytest.mark.parametrize(
    ("key", "message"), [("not base64!", "must be base64"), ("YWJj", "16, 24 or 32 bytes, not 3")]
)
def test_a_bad_encryption_key_is_refused(key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EngineConfig.from_environ({"KITE_ENCRYPTION_KEY": key})


def test_a_rotated_key_still_reads_what_it_encrypted() -> None:
    """KITE_PREVIOUS_ENCRYPTION_KEYS: the executions started under the old key go on after a rotation."""
    old, new = base64.b64encode(b"o" * 32).decode(), base64.b64encode(b"n" * 16).decode()
    declared = [Input.model_validate({"id": "token", "type": "SECRET"})]
    before = EngineConfig.from_environ({"KITE_ENCRYPTION_KEY": old})
    sealed = seal_secrets(declared, {"token": "s3cr3t"}, before.encryption_key, bytes)
    rotated = EngineConfig.from_environ(
        {"KITE_ENCRYPTION_KEY": new, "KITE_PREVIOUS_ENCRYPTION_KEYS": f" {old} ,"}
    )
    assert rotated.decryption_keys == (b"n" * 16, b"o" * 32)
    assert reveal_secrets(declared, sealed, rotated.decryption_keys) == {"token": "s3cr3t"}
    with pytest.raises(DecryptionError, match="wrong key or altered value"):
        reveal_secrets(
            declared, sealed, EngineConfig.from_environ({"KITE_ENCRYPTION_KEY": new}).decryption_keys
        )
    with pytest.raises(ConfigError, match="KITE_PREVIOUS_ENCRYPTION_KEYS must decode to 16, 24 or 32 bytes"):
        EngineConfig.from_environ({"KITE_PREVIOUS_ENCRYPTION_KEYS": "YWJj"})


def test_secret_input_values_follow_dotted_ids_and_skip_what_cannot_be_masked() -> None:
    kinds = {"a.b": "SECRET", "c": "SECRET", "d": "SECRET", "plain": "STRING", "gone": "SECRET"}
    declared = [Input.model_validate({"id": i, "type": t}) for i, t in kinds.items()]
    inputs = {"a": {"b": "x1"}, "c": "", "d": 42, "plain": "visible"}
    assert PortServices.secret_inputs(declared, inputs) == {"x1"}
    assert PortServices.secret_inputs(None, None) == set()


SECRET_FLOW = """
id: leaks
namespace: demo
inputs:
  - id: password
    type: SECRET
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: "token={{ secret('API_TOKEN') }}"
  - id: b
    type: io.kestra.plugin.core.log.Log
    message: "saw {{ outputs.a.value }}"
  - id: context
    type: io.kestra.plugin.core.debug.Return
    format: "{{ printContext() }}"
outputs:
  - id: leaked
    type: STRING
    value: "{{ secret('API_TOKEN') }}"
"""


@pytest.mark.parametrize("budget", [500, 0], ids=["inline", "workers"])
def test_secrets_never_reach_outputs_or_logs(budget: int) -> None:
    runner = InMemoryRunner(
        inline_budget=budget, resources=in_memory_resources(secrets={"API_TOKEN": "s3cr3t-value"})
    )
    runner.deploy(SECRET_FLOW)
    execution = runner.run("demo", "leaks", {"password": "pa55word-x"})
    assert execution.state.current.value == "SUCCESS"
    shown = json.dumps(execution_to_json(execution)) + json.dumps(
        [entry.message for entry in runner.services.executions.logs(execution.id)]
    )
    assert "s3cr3t-value" not in shown and "pa55word-x" not in shown
    assert execution.task_runs.of_task("a")[0].outputs == {"value": "token=******"}
    logs = {entry.task_id: entry.message for entry in runner.services.executions.logs(execution.id)}
    assert logs["b"] == "saw token=******"
    assert execution.outputs == {"leaked": "******"}
