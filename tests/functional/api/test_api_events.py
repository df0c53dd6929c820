"""The REST API function through API Gateway HTTP API v2 events, on the embedded stack (issue 13)."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from engine.model.files import execution_prefix
from functions import api
from functions.api import auth
from infra.embedded.lambda_shapes import http_event
from infra.embedded.local import LocalKite

HELLO = """id: hello
namespace: demo.api
labels:
  team: data
inputs:
  - id: name
    type: STRING
  - id: times
    type: INT
    defaults: 1
tasks:
  - id: say
    type: io.kestra.plugin.core.debug.Return
    format: "hi {{ inputs.name }} x{{ inputs.times }}"
outputs:
  - id: said
    type: STRING
    value: "{{ outputs.say.value }}"
"""

PAUSING = """id: waits
namespace: demo.api
tasks:
  - id: gate
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: done
"""


class Api:
    def __init__(self, kite: LocalKite, prefix: str = "/api/v1/main") -> None:
        self.kite = kite
        self.prefix = prefix
        self.headers: dict[str, str] = {}

    def call(
        self, method: str, path: str, *, query: str = "", body: bytes = b"", content_type: str = ""
    ) -> tuple[int, Any]:
        headers = dict(self.headers)
        if content_type:
            headers["content-type"] = content_type
        response = api.handler(
            http_event(method, self.prefix + path, query=query, headers=headers, body=body), None
        )
        text = response.get("body") or ""
        try:
            return response["statusCode"], json.loads(text) if text else None
        except json.JSONDecodeError:
            return response["statusCode"], text

    def create_flow(self, source: str) -> tuple[int, Any]:
        return self.call("POST", "/flows", body=source.encode(), content_type="application/x-yaml")

    def start(self, namespace: str, flow_id: str, fields: dict[str, str], query: str = "") -> tuple[int, Any]:
        return self.post_form(f"/executions/{namespace}/{flow_id}", fields, query)

    def post_form(self, path: str, fields: dict[str, str], query: str = "") -> tuple[int, Any]:
        boundary = "kiteboundary"
        parts = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        )
        body = (parts + f"--{boundary}--\r\n").encode()
        return self.call(
            "POST",
            path,
            query=query,
            body=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv(auth.OPEN_ENV, "true")  # as `kite serve` on loopback
    with LocalKite() as kite:
        yield Api(kite)


def test_a_flow_is_created_read_listed_updated_and_deleted(client: Api) -> None:
    status, created = client.create_flow(HELLO)
    assert status == 200
    assert (created["id"], created["namespace"], created["revision"]) == ("hello", "demo.api", 1)
    assert created["labels"] == [{"key": "team", "value": "data"}]
    assert created["source"] == HELLO
    assert client.create_flow(HELLO)[0] == 422  # already exists

    assert client.call("GET", "/flows/demo.api/hello")[1]["revision"] == 1
    assert [f["id"] for f in client.call("GET", "/flows/demo.api")[1]] == ["hello"]
    status, page = client.call("GET", "/flows/search", query="filters[namespace][PREFIX]=demo")
    assert status == 200 and page["total"] == 1
    assert client.call("GET", "/flows/distinct-namespaces")[1] == ["demo.api"]

    changed = HELLO.replace("x{{", "times {{")
    status, updated = client.call(
        "PUT", "/flows/demo.api/hello", body=changed.encode(), content_type="application/x-yaml"
    )
    assert (status, updated["revision"]) == (200, 2)
    assert client.call("GET", "/flows/demo.api/hello", query="revision=1")[1]["source"] == HELLO
    wrong = client.call(
        "PUT", "/flows/demo.api/other", body=changed.encode(), content_type="application/x-yaml"
    )
    assert wrong[0] == 404

    assert client.call("DELETE", "/flows/demo.api/hello")[0] == 204
    assert client.call("GET", "/flows/demo.api/hello")[0] == 404


def test_both_prefixes_serve_the_same_routes(client: Api) -> None:
    client.create_flow(HELLO)
    client.prefix = "/api/v1"
    assert client.call("GET", "/flows/demo.api/hello")[0] == 200


def test_an_invalid_flow_is_a_422_with_every_problem_at_its_line(client: Api) -> None:
    status, body = client.create_flow(
        "id: bad\nnamespace: demo\ntasks:\n  - id: a\n    type: nope\n  - type: x\n"
    )
    assert status == 422
    details = [e["message"] for e in body["_embedded"]["errors"]]
    assert len(details) >= 2
    assert "flow:4:5: tasks[0]: unknown task type 'nope'" in details
    status, violations = client.call(
        "POST", "/flows/validate", body=b"id: x\nnamespace: y\ntasks:\n  - id: a\n    type: nope\n"
    )
    assert status == 200 and "tasks[0]: unknown task type" in violations[0]["constraints"]


def test_an_execution_is_started_with_typed_inputs_and_labels_then_read_searched_and_logged(
    client: Api,
) -> None:
    client.create_flow(HELLO)
    status, started = client.start(
        "demo.api", "hello", {"name": "Ann", "times": "3"}, query="labels=env:test"
    )
    assert status == 200, started
    assert started["inputs"] == {"name": "Ann", "times": 3}
    assert {"key": "env", "value": "test"} in started["labels"]
    final = client.kite.wait(started["id"])
    assert final.state.current.value == "SUCCESS"

    status, execution = client.call("GET", f"/executions/{started['id']}")
    assert status == 200
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["outputs"] == {"said": "hi Ann x3"}
    assert [run["taskId"] for run in execution["taskRunList"]] == ["say"]

    # A poll of an execution that did not change is a 304 (what a browser's revalidation sends).
    path = f"/api/v1/main/executions/{started['id']}"
    answered = api.handler(http_event("GET", path), None)
    etag = answered["headers"]["ETag"]
    assert answered["headers"]["Cache-Control"] == "no-cache" and json.loads(answered["body"]) == execution
    unchanged = api.handler(http_event("GET", path, headers={"if-none-match": etag}), None)
    assert unchanged["statusCode"] == 304 and not unchanged.get("body")
    changed = api.handler(http_event("GET", path, headers={"if-none-match": '"v1"'}), None)
    assert changed["statusCode"] == 200 and json.loads(changed["body"]) == execution

    status, page = client.call("GET", "/executions/search", query="filters[labels][EQUALS][env]=test")
    assert status == 200 and [e["id"] for e in page["results"]] == [started["id"]]
    assert client.call("GET", "/executions/search", query="filters[state][IN]=FAILED")[1]["total"] == 0

    status, logs = client.call("GET", f"/logs/{started['id']}", query="minLevel=INFO")
    assert status == 200 and logs and all(entry["executionId"] == started["id"] for entry in logs)


def test_invalid_inputs_are_a_422_with_kestras_messages(client: Api) -> None:
    client.create_flow(HELLO)
    status, body = client.start("demo.api", "hello", {"times": "many"})
    assert status == 422
    text = body["message"]
    assert "Missing required input:name" in text
    assert "times" in text


def test_a_run_form_is_checked_before_it_is_sent(client: Api) -> None:
    """Kestra's `POST /executions/{namespace}/{id}/validate`: each input enabled or not, its value and errors,
    nothing started."""
    client.create_flow(
        HELLO.replace(
            "    defaults: 1\n",
            "    defaults: 1\n  - id: shout\n    type: BOOLEAN\n"
            '    dependsOn:\n      inputs: [times]\n      condition: "{{ inputs.times > 2 }}"\n',
        )
    )
    validate = "/executions/demo.api/hello/validate"
    status, body = client.post_form(validate, {"times": "many"})
    assert status == 200
    states = {item["input"]["id"]: item for item in body["inputs"]}
    assert states["name"]["errors"] == [{"message": "Missing required input:name"}]
    assert "times" in states["times"]["errors"][0]["message"]
    _, body = client.post_form(validate, {"name": "Ada", "times": "3"})
    states = {item["input"]["id"]: item for item in body["inputs"]}
    assert (states["name"]["value"], states["times"]["value"], states["shout"]["enabled"]) == ("Ada", 3, True)
    _, body = client.post_form(validate, {"name": "Ada"})
    states = {item["input"]["id"]: item for item in body["inputs"]}
    assert states["times"]["isDefault"] is True and states["shout"]["enabled"] is False
    assert client.kite.services.store.search("demo.api", "hello") == []


def test_a_file_is_previewed_and_one_past_lambda_s_answer_limit_is_refused_clearly(client: Api) -> None:
    client.create_flow(FILES)
    body, content_type = _multipart_file("doc", "notes.txt", b"hello")
    _, started = client.call("POST", "/executions/demo.api/files", body=body, content_type=content_type)
    final = client.kite.wait(started["id"])
    storage = client.kite.services.resources.storage
    folder = execution_prefix("demo.api", "files", final.id).removeprefix("kestra:///")
    rows = "".join(f"row {n},{'x' * 60}\r\n" for n in range(120_000)).encode()  # 7.6 MB
    big = storage.put(folder + "big.csv", rows)
    image = storage.put(folder + "dot.PNG", b"\x89PNG\r\n")
    ion = storage.put(folder + "rows.ion", b'{a:1,b:"x"}\n{a:2,b:"y"}\n')

    def preview(uri: str, query: str = "") -> tuple[int, Any]:
        return client.call("GET", f"/executions/{final.id}/file/preview", query=f"path={uri}{query}")

    status, render = preview(big)
    assert status == 200
    assert [render[k] for k in ("type", "extension", "maxLine", "truncated")] == ["TEXT", "csv", 100, True]
    assert render["content"].split("\n")[:2] == [f"row 0,{'x' * 60}", f"row 1,{'x' * 60}"]
    assert len(render["content"].split("\n")) == 100
    assert len(preview(big, "&maxRows=99999")[1]["content"].split("\n")) == 5000  # Kestra's most
    assert preview(image)[1] == {
        "extension": "PNG", "type": "IMAGE", "content": "iVBORw0K", "maxLine": 100, "truncated": False
    }  # fmt: skip
    assert preview(ion)[1]["content"] == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert preview(big, "&encoding=no-such-charset")[0] == 422
    assert preview("kestra:///elsewhere/big.csv")[0] == 422  # not this execution's

    status, refused = client.call("GET", f"/executions/{final.id}/file", query=f"path={big}")
    assert status == 500
    assert "a Lambda function answers API Gateway with at most 6 MB" in refused["message"]
    # A client that takes gzip (Kestra's, a browser) gets it: 7.6 MB of rows fit in what Lambda may answer.
    path = f"{client.prefix}/executions/{final.id}/file"
    gzipped = api.handler(
        http_event("GET", path, query=f"path={big}", headers={"Accept-Encoding": "gzip"}), None
    )
    assert (gzipped["statusCode"], gzipped["headers"]["Content-Encoding"]) == (200, "gzip")
    assert gzip.decompress(base64.b64decode(gzipped["body"])) == rows
    small = client.call("GET", f"/executions/{final.id}/file/preview", query=f"path={image}")
    assert small[0] == 200  # under COMPRESS_FROM_BYTES: sent as it is


def test_resume_inputs_are_validated_without_resuming(client: Api) -> None:
    """Kestra's `POST /executions/{id}/resume/validate`: the paused task run's `onResume` inputs."""
    on_resume = "    onResume:\n      - id: approved\n        type: BOOLEAN\n"
    pause = "type: io.kestra.plugin.core.flow.Pause\n"
    approving = PAUSING.replace("id: waits", "id: approves").replace(pause, pause + on_resume)
    client.create_flow(approving)
    _, started = client.start("demo.api", "approves", {})
    executions = client.kite.services.executions
    assert client.kite.pump is not None
    client.kite.pump.run_until(lambda: executions.get(started["id"]).state.current.value == "PAUSED")
    validate = f"/executions/{started['id']}/resume/validate"
    status, body = client.post_form(validate, {})
    assert status == 200, body
    assert (body["id"], body["namespace"]) == ("approves", "demo.api")
    assert body["inputs"][0]["errors"] == [{"message": "Missing required input:approved"}]
    _, body = client.post_form(validate, {"approved": "true"})
    assert (body["inputs"][0]["value"], body["inputs"][0]["errors"]) == (True, [])
    assert executions.get(started["id"]).state.current.value == "PAUSED"  # nothing resumed
    client.kite.services.executions.resume(started["id"], {"approved": True})
    assert client.kite.wait(started["id"]).state.current.value == "SUCCESS"
    assert client.post_form(validate, {})[0] == 409  # not paused any more


def test_unknown_things_are_404s(client: Api) -> None:
    assert client.call("GET", "/executions/none")[0] == 404
    assert client.start("demo.api", "none", {})[0] == 404
    assert client.call("GET", "/no/such/route")[0] == 404


def test_pause_resume_and_kill_answer_with_kestras_status_codes(client: Api) -> None:
    client.create_flow(PAUSING)
    _, started = client.start("demo.api", "waits", {})
    pump = client.kite.pump
    assert pump is not None
    pump.run_until(lambda: client.kite.services.executions.get(started["id"]).state.current.value == "PAUSED")
    assert client.call("POST", f"/executions/{started['id']}/pause")[0] == 409  # not running
    assert client.call("POST", f"/executions/{started['id']}/resume")[0] == 204
    assert client.kite.wait(started["id"]).state.current.value == "SUCCESS"
    # Over: refused without the cascade; with it (the default) accepted, for what the execution started.
    assert client.call("DELETE", f"/executions/{started['id']}/kill", query="isOnKillCascade=false")[0] == 409
    assert client.call("DELETE", f"/executions/{started['id']}/kill")[0] == 202


def test_with_users_configured_a_call_needs_their_credentials(
    client: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(auth.USERS_ENV, f"ada:{auth.hash_password('secret', iterations=1000)}")
    status, body = client.call("GET", "/flows/search")
    assert status == 401 and body["message"] == "Unauthorized"
    client.headers["authorization"] = "Basic " + base64.b64encode(b"ada:wrong").decode()
    assert client.call("GET", "/flows/search")[0] == 401
    client.headers["authorization"] = "Basic " + base64.b64encode(b"ada:secret").decode()
    assert client.call("GET", "/flows/search")[0] == 200


FILES = """id: files
namespace: demo.api
inputs:
  - id: doc
    type: FILE
tasks:
  - id: size
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.doc) | length }}"
"""


def _multipart_file(name: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "kitefile"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_labels_eval_files_and_log_download_of_an_ended_execution(client: Api) -> None:
    client.create_flow(FILES)
    body, content_type = _multipart_file("doc", "notes.txt", b"hello world")
    status, started = client.call("POST", "/executions/demo.api/files", body=body, content_type=content_type)
    assert status == 200, started
    final = client.kite.wait(started["id"])
    assert final.task_runs.of_task("size")[0].outputs == {"value": "11"}
    execution_id, uri = final.id, str(final.inputs["doc"])

    status, labelled = client.call(
        "POST", f"/executions/{execution_id}/labels", body=b'[{"key": "env", "value": "prod"}]'
    )
    assert status == 200
    assert {"key": "env", "value": "prod"} in labelled["labels"]
    assert any(label["key"] == "system.correlationId" for label in labelled["labels"])
    # Added or updated, as Kestra's "Add or update labels of a terminated execution": the others stay.
    more = b'[{"key": "team", "value": "data"}, {"key": "env", "value": "dev"}]'
    _, labelled = client.call("POST", f"/executions/{execution_id}/labels", body=more)
    user = {
        label["key"]: label["value"] for label in labelled["labels"] if not label["key"].startswith("system.")
    }
    assert user == {"env": "dev", "team": "data"}
    _, labelled = client.call(
        "POST", f"/executions/{execution_id}/labels", body=b'[{"key": "env", "value": ""}]'
    )
    assert [label["key"] for label in labelled["labels"] if not label["key"].startswith("system.")] == [
        "team"
    ]
    refused = client.call(
        "POST", f"/executions/{execution_id}/labels", body=b'[{"key": "system.x", "value": "1"}]'
    )
    assert refused[0] == 422

    run_id = final.task_runs.of_task("size")[0].id
    status, evaluated = client.call(
        "POST", f"/executions/{execution_id}/eval/{run_id}", body=b"{{ outputs.size.value }}!"
    )
    assert (status, evaluated["result"], evaluated["error"]) == (200, "11!", None)
    assert client.call("POST", f"/executions/{execution_id}/eval/{run_id}", body=b"{{ nope( }}")[1]["error"]

    response = api.handler(
        http_event("GET", f"/api/v1/main/executions/{execution_id}/file", query=f"path={uri}"), None
    )
    assert response["statusCode"] == 200
    assert base64.b64decode(response["body"]) == b"hello world"
    assert client.call("GET", f"/executions/{execution_id}/file/metas", query=f"path={uri}")[1] == {
        "size": 11
    }
    elsewhere = "kestra:///demo/api/other/executions/x/inputs/doc/notes.txt"
    assert client.call("GET", f"/executions/{execution_id}/file", query=f"path={elsewhere}")[0] == 422

    status, text = client.call("GET", f"/logs/{execution_id}/download")
    assert status == 200 and "Flow completed with state SUCCESS" in str(text)


def test_the_flow_schema_and_the_openapi_document(client: Api) -> None:
    status, schema = client.call("GET", "/plugins/schemas/flow")
    assert status == 200 and schema["$schema"].startswith("https://json-schema.org/")
    client.prefix = ""
    status, document = client.call("GET", "/api/v1/openapi.json")
    assert status == 200
    assert "/api/v1/main/executions/{execution_id}/kill" in document["paths"]
    assert "/api/v1/main/executions/webhook/{namespace}/{flow_id}/{key}" in document["paths"]
    # Once: a path without the tenant is answered as the tenant's, not listed twice.
    assert not any(path.startswith("/api/v1/executions/") for path in document["paths"])


def test_with_no_credentials_configured_the_api_refuses_everything(
    client: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployed stack without ApiUsers or ApiTokens: closed, not open."""
    monkeypatch.delenv(auth.OPEN_ENV)
    assert client.call("GET", "/flows/search")[0] == 401


HOOK = """id: hook
namespace: demo.api
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: w
    type: io.kestra.plugin.core.trigger.Webhook
    key: k1
"""


def test_a_head_is_the_get_without_its_body_and_starts_no_webhook(client: Api) -> None:
    client.create_flow(HOOK)
    got = api.handler(http_event("GET", "/api/v1/main/flows/demo.api/hook"), None)
    head = api.handler(http_event("HEAD", "/api/v1/main/flows/demo.api/hook"), None)
    assert (head["statusCode"], head["body"]) == (200, "")
    assert head["headers"]["Content-Type"] == got["headers"]["Content-Type"]
    assert head["headers"]["Content-Length"] == str(len(got["body"].encode()))
    missing = api.handler(http_event("HEAD", "/api/v1/main/flows/demo.api/none"), None)
    assert (missing["statusCode"], missing["body"]) == (404, "")
    hook = api.handler(http_event("HEAD", "/api/v1/main/executions/webhook/demo.api/hook/k1"), None)
    assert hook["statusCode"] == 404
    assert client.call("GET", "/executions/search")[1]["total"] == 0


def test_with_iam_auth_only_a_request_api_gateway_authorized_by_iam_passes(
    client: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ApiAuth AWS_IAM: API Gateway checked the signature and names the caller; Basic credentials, even
    valid ones, open nothing, and webhooks stay keyed."""
    monkeypatch.delenv(auth.OPEN_ENV)
    monkeypatch.setenv(auth.MODE_ENV, auth.IAM)
    monkeypatch.setenv(auth.USERS_ENV, f"ada:{auth.hash_password('secret', iterations=1000)}")
    client.headers["authorization"] = "Basic " + base64.b64encode(b"ada:secret").decode()
    event = http_event("GET", "/api/v1/main/flows/search", headers=client.headers)
    refused = api.handler(event, None)
    assert refused["statusCode"] == 401 and "WWW-Authenticate" not in (refused.get("headers") or {})
    event["requestContext"]["authorizer"] = {
        "iam": {"accessKey": "AKIA1", "accountId": "1", "userArn": "arn:aws:iam::1:user/ci"}
    }
    assert api.handler(event, None)["statusCode"] == 200
    monkeypatch.setenv(auth.MODE_ENV, "BASIC")
    assert client.create_flow(HOOK)[0] == 200
    monkeypatch.setenv(auth.MODE_ENV, auth.IAM)
    del client.headers["authorization"]
    client.prefix = "/api/v1"
    assert client.call("POST", "/executions/webhook/demo.api/hook/k1")[0] == 200


def test_executions_are_deleted_one_by_one_or_by_ids_and_killed_by_ids(client: Api) -> None:
    client.create_flow(HELLO)
    client.create_flow(PAUSING)
    ids = [client.start("demo.api", "hello", {"name": f"n{i}"})[1]["id"] for i in range(3)]
    for execution_id in ids:
        client.kite.wait(execution_id)
    _, paused = client.start("demo.api", "waits", {})
    pump = client.kite.pump
    assert pump is not None
    pump.run_until(lambda: client.kite.services.executions.get(paused["id"]).state.current.value == "PAUSED")

    assert client.call("DELETE", f"/executions/{paused['id']}")[0] == 409  # not over: kept
    assert client.call("DELETE", f"/executions/{ids[0]}")[0] == 204
    assert client.call("GET", f"/executions/{ids[0]}")[0] == 404
    assert client.call("GET", f"/logs/{ids[0]}")[0] == 404
    status, bulk = client.call("DELETE", "/executions/by-ids", body=json.dumps(ids[1:]).encode())
    assert (status, bulk) == (200, {"count": 2})
    assert client.call("DELETE", "/executions/kill/by-ids", body=json.dumps([paused["id"]]).encode())[1] == {
        "count": 1
    }
    assert client.kite.wait(paused["id"]).state.current.value == "KILLED"
    assert [e.id for e in client.kite.services.store.search("demo.api", "hello")] == []


def test_an_execution_scheduled_for_later_waits_created_until_then(client: Api) -> None:
    client.create_flow(HELLO)
    later = client.kite.clock.now() + timedelta(hours=1)
    status, started = client.start(
        "demo.api", "hello", {"name": "Ann"}, query=f"scheduleDate={later.isoformat().replace('+00:00', 'Z')}"
    )
    assert status == 200, started
    assert started["state"]["current"] == "CREATED"
    assert started["scheduleDate"] is not None
    final = client.kite.wait(started["id"])
    assert final.state.current.value == "SUCCESS"
    running = next(h.date for h in final.state.histories if h.state.value == "RUNNING")
    assert running >= later
    assert client.start("demo.api", "hello", {"name": "Ann"}, query="scheduleDate=tomorrow")[0] == 422
