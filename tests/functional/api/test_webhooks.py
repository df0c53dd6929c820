"""The Webhook trigger's URL (spec part 1 §9.3, scenario 19), through HTTP API v2 events and `kite serve`."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from functions import api
from functions.api import auth
from infra.embedded.lambda_shapes import http_event
from infra.embedded.local import LocalKite
from infra.embedded.server import LocalServer

ON_EVENT = """id: on_event
namespace: demo
labels:
  team: data
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body.user ?? 'anon' }} via {{ trigger.parameters.src[0] ?? '-' }}"
outputs:
  - id: user
    type: STRING
    value: "{{ trigger.body.user }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: "{{ secret('WH') }}"
    wait: true
    returnOutputs: true
"""

NO_WAIT = """id: no_wait
namespace: demo
inputs:
  - id: who
    type: STRING
tasks:
  - id: say
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.who }} {{ trigger.headers['x-source'][0] }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: plainKey
    inputs:
      who: "{{ trigger.body.user }}"
    conditions:
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ trigger.body.user != 'bob' }}"
  - id: off
    type: io.kestra.plugin.core.trigger.Webhook
    key: offKey
    disabled: true
"""

SECRET = {"SECRET_WH": base64.b64encode(b"s3cr3tKey").decode()}


def _call(
    method: str, path: str, *, query: str = "", body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    response = api.handler(http_event(method, path, query=query, headers=headers, body=body), None)
    text = response.get("body") or ""
    return response["statusCode"], json.loads(text) if text else None


def test_a_webhook_starts_an_execution_with_the_call_as_trigger_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Management routes need credentials; a webhook is keyed instead.
    monkeypatch.setenv(auth.USERS_ENV, f"ada:{auth.hash_password('pw', iterations=1000)}")
    with LocalKite() as kite:
        kite.deploy(NO_WAIT)
        status, started = _call(
            "POST",
            "/api/v1/main/executions/webhook/demo/no_wait/plainKey",
            query="src=ci&src=cd",
            body=b'{"user": "ann"}',
            headers={"content-type": "application/json", "x-source": "github"},
        )
        assert status == 200, started
        assert started["state"]["current"] == "CREATED"
        assert started["tenantId"] == "main" and started["flowId"] == "no_wait"
        final = kite.wait(started["id"])
        assert final.state.current.value == "SUCCESS"
        assert final.inputs == {"who": "ann"}
        assert final.task_runs.of_task("say")[0].outputs == {"value": "ann github"}
        variables = final.trigger["variables"] if final.trigger else {}
        assert variables["body"] == {"user": "ann"}
        assert variables["parameters"] == {"src": ["ci", "cd"]}
        assert variables["headers"]["x-source"] == ["github"]
        assert ("system.from", "trigger") in [(label.key, label.value) for label in final.labels]

        # The condition does not hold: no execution, and Kestra's 409 with no body.
        assert _call("POST", "/api/v1/executions/webhook/demo/no_wait/plainKey", body=b'{"user": "bob"}') == (
            409,
            None,
        )
        assert (
            _call("GET", "/api/v1/executions/webhook/demo/no_wait/wrong")[1]["message"] == "Webhook not found"
        )
        assert _call("GET", "/api/v1/executions/webhook/demo/no_wait/offKey")[0] == 404  # a disabled trigger
        assert _call("GET", "/api/v1/executions/webhook/demo/none/plainKey")[1]["message"] == "Flow not found"
        kite.deploy(NO_WAIT.replace("namespace: demo\n", "namespace: demo\ndisabled: true\n"))
        assert _call("POST", "/api/v1/executions/webhook/demo/no_wait/plainKey", body=b"{}")[0] == 409
        assert len(kite.services.store.search("demo", "no_wait")) == 1


def test_wait_and_return_outputs_answer_with_the_flow_outputs_over_http() -> None:
    with LocalKite(fast_forward=False, environ=SECRET) as kite, LocalServer(kite, "127.0.0.1", 0) as server:
        kite.deploy(ON_EVENT)
        request = urllib.request.Request(
            f"{server.url}/api/v1/main/executions/webhook/demo/on_event/s3cr3tKey?src=ci",
            data=b'{"user":"ann"}',
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            assert json.load(response) == {"user": "ann"}
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(
                f"{server.url}/api/v1/main/executions/webhook/demo/on_event/nope", timeout=10
            )
        assert refused.value.code == 404


BURST = """id: burst
namespace: demo
tasks:
  - id: say
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.body.user }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: burstKey
"""


def test_a_burst_of_200_webhook_calls_starts_200_executions_that_all_end() -> None:
    with LocalKite(fast_forward=False) as kite, LocalServer(kite, "127.0.0.1", 0) as server:
        kite.deploy(BURST)

        def call(index: int) -> str:
            request = urllib.request.Request(
                f"{server.url}/api/v1/executions/webhook/demo/burst/burstKey",
                data=json.dumps({"user": f"u{index}"}).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=60) as response:
                return str(json.load(response)["id"])

        with ThreadPoolExecutor(max_workers=16) as pool:
            ids = list(pool.map(call, range(200)))
        assert len(set(ids)) == 200
        store = kite.services.store
        deadline = time.monotonic() + 180
        # The server's pump runs them; this thread only looks.
        while time.monotonic() < deadline and not all(store.head(i).state.terminated for i in ids):  # type: ignore[union-attr]
            time.sleep(0.2)
        finals = [kite.services.executions.get(i) for i in ids]
    assert all(final.state.current.value == "SUCCESS" for final in finals)
    assert sorted(final.task_runs.of_task("say")[0].outputs["value"] for final in finals) == sorted(
        f"u{index}" for index in range(200)
    )
