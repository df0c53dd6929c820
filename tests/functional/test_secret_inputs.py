"""SECRET inputs on the embedded stack: ciphertext in DynamoDB and in the workers' messages."""

from __future__ import annotations

import json

from engine.model.serde import execution_to_json
from infra.embedded.local import LocalKite

FLOW = """
id: secrets
namespace: demo
inputs:
  - {id: token, type: SECRET}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "token={{ inputs.token }}"
  - id: length
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.token | length }}"
"""


def test_a_secret_input_is_stored_encrypted_and_seen_clear_by_workers() -> None:
    # No inline budget: every task runs on a worker, from the dispatcher's message.
    with LocalKite(inline_budget=0, environ={}) as kite:
        kite.deploy(FLOW)
        execution = kite.run("demo", "secrets", {"token": "s3cr3t-t0ken"})
        logs = [entry.message for entry in kite.services.executions.logs(execution.id)]
    assert execution.state.current == "SUCCESS"
    assert "s3cr3t-t0ken" not in json.dumps(execution_to_json(execution))
    assert execution.task_runs.of_task("length")[0].outputs == {"value": "12"}
    assert "token=******" in logs
