"""A worker invocation reports the results of its batch of RunTasks in one request (issue 12: cost)."""

from __future__ import annotations

from typing import Any

from engine.model.state import StateType
from infra.embedded.local import Handler, LocalKite

FAN_OUT = """id: fan
namespace: demo
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{ range(1, 20) }}"
    concurrencyLimit: 0
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value }}"
"""


def test_a_worker_sends_its_batch_of_results_in_one_request() -> None:
    sends = [0]
    per_invocation: list[tuple[int, int]] = []  # (RunTasks received, send requests made)

    def count(handler: Handler) -> Handler:
        def deliver(event: dict[str, Any], context: Any) -> Any:
            before = sends[0]
            response = handler(event, context)
            per_invocation.append((len(event["Records"]), sends[0] - before))
            return response

        return deliver

    def sent(**_: Any) -> None:
        sends[0] += 1

    with LocalKite(inline_budget=0, wrap={"WorkerFunction": count}) as kite:
        assert kite.stack is not None
        kite.stack.session.sqs.meta.events.register("before-call.sqs.SendMessageBatch", sent)
        kite.deploy(FAN_OUT)
        execution = kite.run("demo", "fan")
    assert execution.state.current == StateType.SUCCESS
    assert any(records > 1 for records, _ in per_invocation)
    assert all(requests == 1 for _, requests in per_invocation)
