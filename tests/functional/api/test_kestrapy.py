"""`kite serve` driven by Kestra's own Python client, kestrapy 1.x (issue 13): every response parses into
its models."""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator

import pytest
from kestrapy import KestraClient
from kestrapy.exceptions import (
    ApiException,
    ConflictException,
    NotFoundException,
    UnprocessableEntityException,
)

from functions.api import auth
from infra.embedded.local import LocalKite
from infra.embedded.server import LocalServer
from tests.functional.test_concurrency import HELD as CONCURRENCY_HELD

TENANT = "main"

GREET = """id: greet
namespace: demo.client
inputs:
  - id: name
    type: STRING
  - id: count
    type: INT
    defaults: 2
  - id: doc
    type: FILE
    required: false
tasks:
  - id: hello
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.name }} {{ inputs.count * 2 }}"
  - id: size
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.doc is defined and inputs.doc != null }}"
outputs:
  - id: greeting
    type: STRING
    value: "{{ outputs.hello.value }}"
"""

GATE = """id: gate
namespace: demo.client
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "approved={{ outputs.wait.onResume.approved }}"
"""

FAILS = """id: fails
namespace: demo.client
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: on purpose
"""


@pytest.fixture(scope="module")
def client() -> Iterator[KestraClient]:
    with (
        pytest.MonkeyPatch.context() as patch,
        LocalKite(fast_forward=False) as kite,
        LocalServer(kite, "127.0.0.1", 0) as server,
    ):
        patch.setenv(auth.OPEN_ENV, "true")  # as `kite serve` on loopback
        yield KestraClient(host=server.url, timeout=30)


def _until(client: KestraClient, execution_id: str, states: set[str], timeout_s: float = 20.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = client.executions.execution(execution_id, TENANT).state.current
        if str(getattr(state, "value", state)) in states:
            return str(getattr(state, "value", state))
        time.sleep(0.05)
    raise AssertionError(f"{execution_id} never reached {states}")


def test_flows_through_kestrapy(client: KestraClient) -> None:
    created = client.flows.create_flow(TENANT, GREET)
    assert (created.id, created.namespace, created.revision) == ("greet", "demo.client", 1)
    fetched = client.flows.flow("demo.client", "greet", TENANT, source=True)
    assert fetched.source == GREET
    assert [f.id for f in client.flows.list_flows_by_namespace("demo.client", TENANT)] == ["greet"]
    with pytest.raises(UnprocessableEntityException):
        client.flows.create_flow(TENANT, "id: bad\nnamespace: demo.client\ntasks: []\nnope: 1\n")
    with pytest.raises(NotFoundException):
        client.flows.flow("demo.client", "missing", TENANT)


def test_an_execution_with_typed_and_file_inputs_waits_and_is_found(client: KestraClient) -> None:
    client.flows.create_flow(TENANT, GREET.replace("id: greet\n", "id: greet2\n", 1))
    response = client.executions.create_execution(
        TENANT,
        "demo.client",
        "greet2",
        labels=["team:data"],
        wait=True,
        inputs={"name": "Ada", "count": 21, "doc": ("notes.txt", b"hello")},
    )
    assert str(getattr(response.state.current, "value", response.state.current)) == "SUCCESS"
    execution = client.executions.execution(response.id, TENANT)
    assert execution.outputs == {"greeting": "Ada 42"}
    assert str(execution.inputs["doc"]).startswith("kestra:///demo/client/greet2/executions/")
    logs = client.logs.list_logs_from_execution(response.id, TENANT)
    assert logs


def test_an_upload_past_what_lambda_takes_is_refused_as_in_the_cloud(client: KestraClient) -> None:
    client.flows.create_flow(TENANT, GREET.replace("id: greet\n", "id: greet5\n", 1))
    big = ("big.bin", b"\x00" * (5 * 1024 * 1024))  # 5 MB: a 6.7 MB event once in base64
    with pytest.raises(ApiException) as refused:
        client.executions.create_execution(TENANT, "demo.client", "greet5", inputs={"name": "A", "doc": big})
    assert refused.value.status == 413
    assert "Lambda's 6 MB" in str(refused.value.body)
    small = ("small.bin", b"\x00" * (4 * 1024 * 1024))
    started = client.executions.create_execution(
        TENANT, "demo.client", "greet5", inputs={"name": "A", "doc": small}
    )
    assert _until(client, str(started.id), {"SUCCESS"}) == "SUCCESS"


def test_pause_resume_with_inputs_and_kill(client: KestraClient) -> None:
    client.flows.create_flow(TENANT, GATE)
    started = client.executions.create_execution(TENANT, "demo.client", "gate")
    _until(client, started.id, {"PAUSED"})
    client.executions.resume_execution(started.id, TENANT, inputs={"approved": True})
    assert _until(client, started.id, {"SUCCESS", "FAILED"}) == "SUCCESS"
    execution = client.executions.execution(started.id, TENANT)
    after = next(run for run in execution.task_run_list or [] if run.task_id == "after")
    assert after.outputs == {"value": "approved=true"}

    second = client.executions.create_execution(TENANT, "demo.client", "gate")
    _until(client, second.id, {"PAUSED"})
    client.executions.kill_execution(second.id, TENANT)
    assert _until(client, second.id, {"KILLED"}) == "KILLED"
    with pytest.raises(ConflictException):
        client.executions.kill_execution(second.id, TENANT, is_on_kill_cascade=False)
    client.executions.kill_execution(second.id, TENANT)  # over, but what it started would be killed
    assert _until(client, second.id, {"KILLED"}) == "KILLED"


def test_restart_and_replay_a_failed_execution(client: KestraClient) -> None:
    client.flows.create_flow(TENANT, FAILS)
    failed = client.executions.create_execution(TENANT, "demo.client", "fails", wait=True)
    assert str(getattr(failed.state.current, "value", failed.state.current)) == "FAILED"
    restarted = client.executions.restart_execution(failed.id, TENANT)
    assert restarted.id == failed.id
    assert _until(client, failed.id, {"FAILED"}) == "FAILED"
    replayed = client.executions.replay_execution(failed.id, TENANT)
    assert replayed.id != failed.id
    assert _until(client, replayed.id, {"FAILED"}) == "FAILED"


def _value(kind: object) -> str:
    return str(getattr(kind, "value", kind))


def test_kv_through_kestrapy(client: KestraClient) -> None:
    kv = client.kv
    kv.set_key_value("demo.client", "count", TENANT, "42")
    kv.set_key_value("demo.client", "name", TENANT, "hello")
    kv.set_key_value("demo.client", "config", TENANT, '{"a": [1, 2]}')
    kv.set_key_value("demo.client", "when", TENANT, "2026-01-02T03:04:05Z")
    kv.set_key_value("demo.client", "every", TENANT, "PT1H")
    kv.set_key_value("demo", "parent", TENANT, "true")
    read = {
        key: kv.key_value("demo.client", key, TENANT) for key in ("count", "name", "config", "when", "every")
    }
    assert {key: _value(detail.type) for key, detail in read.items()} == {
        "count": "NUMBER",
        "name": "STRING",
        "config": "JSON",
        "when": "DATETIME",
        "every": "DURATION",
    }
    assert read["count"].value == 42
    assert read["config"].value == {"a": [1, 2]}
    keys = {entry.key for entry in kv.list_keys_with_inheritance("demo.client", TENANT)}
    assert {"count", "parent"} <= keys
    page = kv.list_all_keys(
        TENANT, filters=[{"field": "NAMESPACE", "operation": "EQUALS", "value": "demo.client"}]
    )
    assert page.total == 5
    prefix = {"field": "NAMESPACE", "operation": "PREFIX", "value": "demo"}
    assert kv.list_all_keys(TENANT, filters=[prefix]).total == 6  # demo's own key, and demo.client's
    assert kv.list_all_keys(TENANT).total == 6
    text = {"field": "QUERY", "operation": "EQUALS", "value": "EVER"}
    assert [entry.key for entry in kv.list_all_keys(TENANT, filters=[prefix, text]).results] == ["every"]
    assert kv.delete_key_value("demo.client", "count", TENANT) is True
    with pytest.raises(NotFoundException):
        kv.key_value("demo.client", "count", TENANT)


READS = """id: reads
namespace: demo.client
tasks:
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read('scripts/hello.txt') }}"
"""


def test_namespace_files_through_kestrapy(client: KestraClient) -> None:
    files = client.files
    files.create_namespace_file("demo.client", "/scripts/hello.txt", TENANT, file_content=b"hi there")
    files.create_namespace_directory("demo.client", TENANT, "/empty")
    assert files.file_content("demo.client", "/scripts/hello.txt", TENANT) == b"hi there"
    listing = {
        (f.file_name, _value(f.type))
        for f in files.list_namespace_directory_files("demo.client", TENANT, "/")
    }
    assert listing == {("scripts", "Directory"), ("empty", "Directory")}
    assert files.file_metadatas("demo.client", TENANT, "/scripts/hello.txt").size == 8
    files.create_namespace_file("demo.client", "/notes.md", TENANT, file_content=b"first")
    files.create_namespace_file("demo.client", "/notes.md", TENANT, file_content=b"second")
    assert [r.revision for r in files.file_revisions("demo.client", TENANT, "/notes.md")] == [1, 2]
    assert files.file_content("demo.client", "/notes.md", TENANT, revision=1) == b"first"
    assert files.file_content("demo.client", "/notes.md", TENANT) == b"second"
    with pytest.raises(NotFoundException):
        files.file_content("demo.client", "/notes.md", TENANT, revision=3)
    files.delete_file_directory("demo.client", "/notes.md", TENANT)

    client.flows.create_flow(TENANT, READS)
    ran = client.executions.create_execution(TENANT, "demo.client", "reads", wait=True)
    execution = client.executions.execution(ran.id, TENANT)
    assert (execution.task_run_list or [])[0].outputs == {"value": "hi there"}

    files.move_file_directory("demo.client", "/scripts/hello.txt", "/scripts/bye.txt", TENANT)
    with pytest.raises(NotFoundException):
        files.file_content("demo.client", "/scripts/hello.txt", TENANT)
    files.delete_file_directory("demo.client", "/scripts", TENANT)
    with pytest.raises(NotFoundException):
        files.file_content("demo.client", "/scripts/bye.txt", TENANT)


def _flow(flow_id: str, namespace: str = "demo.bulk", text: str = "x") -> str:
    return (
        f"id: {flow_id}\nnamespace: {namespace}\ntasks:\n  - id: a\n"
        f"    type: io.kestra.plugin.core.debug.Return\n    format: {text}\n"
    )


def test_flow_revisions_namespace_update_export_and_import(client: KestraClient) -> None:
    flows = client.flows
    flows.create_flow(TENANT, _flow("one"))
    flows.update_flow("demo.bulk", "one", TENANT, _flow("one", text="y"))
    assert [f.revision for f in flows.list_flow_revisions("demo.bulk", "one", TENANT)] == [1, 2]

    flows.create_flow(TENANT, _flow("stale"))
    updated = flows.update_flows_in_namespace(
        "demo.bulk", TENANT, _flow("one", text="z") + "---\n" + _flow("two")
    )
    assert sorted(f.id for f in updated) == ["one", "two"]
    assert sorted(f.id for f in flows.list_flows_by_namespace("demo.bulk", TENANT)) == ["one", "two"]
    with pytest.raises(UnprocessableEntityException):
        flows.update_flows_in_namespace("demo.bulk", TENANT, _flow("three", namespace="elsewhere"))

    archive = flows.export_flows_by_ids(TENANT, [{"namespace": "demo.bulk", "id": "two"}])
    with zipfile.ZipFile(io.BytesIO(archive)) as exported:
        assert exported.namelist() == ["demo.bulk.two.yml"]
    client.flows.delete_flow("demo.bulk", "two", TENANT)
    invalid = flows.import_flows(TENANT, file_content=archive)
    assert invalid == []
    assert flows.flow("demo.bulk", "two", TENANT).revision >= 1


def test_replay_with_inputs_log_search_and_following(client: KestraClient) -> None:
    client.flows.create_flow(TENANT, GREET.replace("id: greet\n", "id: greet3\n", 1))
    first = client.executions.create_execution(
        TENANT, "demo.client", "greet3", wait=True, inputs={"name": "Ada"}
    )
    replayed = client.executions.replay_execution_with_inputs(
        first.id, TENANT, inputs={"name": "Bob", "doc": ("bob.txt", b"from Bob")}
    )
    assert replayed.id != first.id
    states = [_value(e.state.current) for e in client.executions.follow_execution(replayed.id, TENANT)]
    assert states[-1] == "SUCCESS"
    done = client.executions.execution(replayed.id, TENANT)
    assert done.outputs == {"greeting": "Bob 4"}
    assert str(done.inputs["doc"]).startswith(f"kestra:///demo/client/greet3/executions/{replayed.id}/")

    follow = list(client.logs.follow_logs_from_execution(replayed.id, TENANT))
    assert any("Flow completed" in str(line.message) for line in follow)
    page = client.logs.search_logs(
        TENANT, filters=[{"field": "FLOW_ID", "operation": "EQUALS", "value": "greet3"}], size=100
    )
    assert {line.execution_id for line in page.results} == {first.id, replayed.id}


def test_triggers_are_listed_from_their_flows(client: KestraClient) -> None:
    source = GREET.replace("id: greet\n", "id: hooked\n", 1) + (
        "triggers:\n  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: abc\n"
    )
    client.flows.create_flow(TENANT, source)
    found = client.triggers.search_triggers_for_flow(TENANT, "demo.client", "hooked")
    assert [t["triggerContext"]["triggerId"] for t in found["results"]] == ["hook"]
    assert found["results"][0]["abstractTrigger"]["type"] == "io.kestra.plugin.core.trigger.Webhook"
    everything = client.triggers.search_triggers(TENANT)
    assert "hook" in {t["triggerContext"]["triggerId"] for t in everything["results"]}


def test_flows_are_disabled_and_enabled_by_ids(client: KestraClient) -> None:
    client.flows.create_flow(TENANT, _flow("switch", namespace="demo.toggle"))
    ids = [{"namespace": "demo.toggle", "id": "switch"}]
    assert client.flows.disable_flows_by_ids(TENANT, ids).count == 1
    assert client.flows.flow("demo.toggle", "switch", TENANT).disabled is True
    with pytest.raises(ConflictException):
        client.executions.create_execution(TENANT, "demo.toggle", "switch")
    assert client.flows.enable_flows_by_ids(TENANT, ids).count == 1
    assert client.flows.flow("demo.toggle", "switch", TENANT).disabled is False


SLOW = """id: slow
namespace: demo.search
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT2S
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: done
"""


def test_search_pause_and_kill_by_query(client: KestraClient) -> None:
    client.flows.create_flow(TENANT, SLOW)
    first = client.executions.create_execution(TENANT, "demo.search", "slow")
    _until(client, first.id, {"RUNNING"})
    client.executions.pause_execution(first.id, TENANT)
    assert _until(client, first.id, {"PAUSED"}) == "PAUSED"
    second = client.executions.create_execution(TENANT, "demo.search", "slow")
    by_namespace = [{"field": "NAMESPACE", "operation": "EQUALS", "value": "demo.search"}]
    found = client.executions.search_executions(TENANT, filters=by_namespace)
    assert {e["id"] for e in found["results"]} == {first.id, second.id}
    of_flow = client.executions.search_executions_by_flow_id(TENANT, "demo.search", "slow")
    assert of_flow["total"] == 2
    _until(client, second.id, {"RUNNING"})
    assert client.executions.pause_executions_by_ids(TENANT, [second.id]) == {"count": 1}
    assert _until(client, second.id, {"PAUSED"}) == "PAUSED"
    client.executions.kill_executions_by_query(TENANT, filters=by_namespace)
    assert _until(client, first.id, {"KILLED"}) == "KILLED"
    assert _until(client, second.id, {"KILLED"}) == "KILLED"


def test_logs_are_deleted_by_execution_and_filter(client: KestraClient) -> None:
    client.flows.create_flow(TENANT, GREET.replace("id: greet\n", "id: greet4\n", 1))
    ran = client.executions.create_execution(TENANT, "demo.client", "greet4", wait=True, inputs={"name": "Z"})
    assert client.logs.list_logs_from_execution(ran.id, TENANT)
    client.logs.delete_logs_from_execution(ran.id, TENANT, min_level="ERROR")
    assert client.logs.list_logs_from_execution(ran.id, TENANT)  # nothing at ERROR: all kept
    client.logs.delete_logs_from_execution(ran.id, TENANT)
    assert client.logs.list_logs_from_execution(ran.id, TENANT) == []


def test_triggers_are_disabled_and_enabled_without_a_new_revision(client: KestraClient) -> None:
    source = GREET.replace("id: greet\n", "id: hooked2\n", 1) + (
        "triggers:\n  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: k2\n"
        "    inputs:\n      name: from-hook\n"
    )
    client.flows.create_flow(TENANT, source)
    base = client.executions._base_url + "/api/v1/main/executions/webhook/demo.client/hooked2/k2"

    def call() -> int:
        request = urllib.request.Request(base, data=b'{"x": 1}', method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    trigger = {"namespace": "demo.client", "flowId": "hooked2", "triggerId": "hook"}
    assert client.triggers.disabled_triggers_by_ids(TENANT, {"triggers": [trigger], "disabled": True}) == {
        "count": 1
    }
    found = client.triggers.search_triggers_for_flow(TENANT, "demo.client", "hooked2")
    assert found["results"][0]["triggerContext"]["disabled"] is True
    assert call() == 404  # a disabled webhook answers as if absent
    assert client.flows.flow("demo.client", "hooked2", TENANT).revision == 1
    assert client.triggers.disabled_triggers_by_ids(TENANT, {"triggers": [trigger], "disabled": False}) == {
        "count": 1
    }
    assert call() == 200
    with pytest.raises(ConflictException):
        client.triggers.unlock_trigger(TENANT, "demo.client", "hooked2", "hook")
    client.triggers.delete_trigger(TENANT, "demo.client", "hooked2", "hook")
    with pytest.raises(NotFoundException):
        client.triggers.delete_trigger(TENANT, "demo.client", "hooked2", "nope")


def test_a_schedule_backfills_through_the_triggers_api(client: KestraClient) -> None:
    source = GREET.replace("id: greet\n", "id: nightly\n", 1) + (
        "triggers:\n  - id: daily\n    type: io.kestra.plugin.core.trigger.Schedule\n"
        '    cron: "0 2 * * *"\n    timezone: Europe/Paris\n    inputs:\n      name: scheduled\n'
    )
    client.flows.create_flow(TENANT, source)
    trigger = {"namespace": "demo.client", "flowId": "nightly", "triggerId": "daily"}
    backfill = {"start": "2025-12-01T00:00:00Z", "end": "2025-12-04T00:00:00Z", "paused": True}
    path = client.triggers._tenant_path(TENANT, "triggers")
    started = client.triggers._raw_json_request("PUT", path, body={**trigger, "backfill": backfill})
    assert started["backfill"]["start"] == "2025-12-01T00:00:00+00:00"

    def backfilled() -> list[str]:
        found = client.executions.search_executions_by_flow_id(TENANT, "demo.client", "nightly")
        return sorted(str(e["trigger"]["variables"]["date"]) for e in found["results"])

    assert client.triggers.pause_backfill(TENANT, trigger)["backfill"]["paused"] is True
    filters = [{"field": "FLOW_ID", "operation": "EQUALS", "value": "nightly"}]
    assert client.triggers.pause_backfill_by_query(TENANT, filters) == {"count": 1}
    time.sleep(0.3)
    assert backfilled() == []  # created paused: nothing runs until it is resumed
    assert client.triggers.unpause_backfill_by_query(TENANT, filters) == {"count": 1}
    deadline = time.monotonic() + 20
    while len(backfilled()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backfilled() == [
        "2025-12-01T02:00:00+01:00",
        "2025-12-02T02:00:00+01:00",
        "2025-12-03T02:00:00+01:00",
    ]
    (entry,) = client.triggers.search_triggers_for_flow(TENANT, "demo.client", "nightly")["results"]
    assert entry["triggerContext"]["nextExecutionDate"].endswith("T02:00:00+01:00")
    assert entry["triggerContext"]["backfill"] is None
    with pytest.raises(UnprocessableEntityException):
        client.triggers.pause_backfill(TENANT, trigger)  # done: there is none left
    with pytest.raises(UnprocessableEntityException):
        ahead = {"start": "2099-01-01T00:00:00Z"}
        client.triggers._raw_json_request("PUT", path, body={**trigger, "backfill": ahead})


def test_a_kill_without_cascade_leaves_the_subflow_running(client: KestraClient) -> None:
    client.flows.create_flow(
        TENANT,
        "id: napper\nnamespace: demo.client\ntasks:\n  - id: nap\n"
        "    type: io.kestra.plugin.core.flow.Sleep\n    duration: PT1H\n",
    )
    client.flows.create_flow(
        TENANT,
        "id: caller\nnamespace: demo.client\ntasks:\n  - id: call\n"
        "    type: io.kestra.plugin.core.flow.Subflow\n    namespace: demo.client\n    flowId: napper\n",
    )
    parent = client.executions.create_execution(TENANT, "demo.client", "caller")

    def child_id() -> str | None:
        found = client.executions.search_executions_by_flow_id(TENANT, "demo.client", "napper")
        return found["results"][0]["id"] if found["results"] else None

    deadline = time.monotonic() + 20
    while child_id() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    child = child_id()
    assert child is not None
    _until(client, child, {"RUNNING"})
    client.executions.kill_execution(parent.id, TENANT, is_on_kill_cascade=False)
    assert _until(client, parent.id, {"KILLED"}) == "KILLED"
    time.sleep(0.3)
    assert _until(client, child, {"RUNNING"}) == "RUNNING"
    client.executions.kill_execution(child, TENANT)
    assert _until(client, child, {"KILLED"}) == "KILLED"


def test_a_flow_s_topology_parses_into_kestrapy_s_flow_graph(client: KestraClient) -> None:
    source = (
        "id: shaped\nnamespace: demo.client\ntasks:\n"
        "  - id: both\n    type: io.kestra.plugin.core.flow.Parallel\n"
        "    tasks:\n      - {id: a, type: io.kestra.plugin.core.log.Log, message: a}\n"
        "      - {id: b, type: io.kestra.plugin.core.log.Log, message: b}\n"
    )
    client.flows.create_flow(TENANT, source)
    graph = client.flows.generate_flow_graph("demo.client", "shaped", TENANT)
    assert {node.uid for node in graph.nodes or []} >= {"root.both.both", "root.both.a", "root.both.b"}
    assert [cluster.cluster.uid for cluster in graph.clusters or [] if cluster.cluster] == ["root.both"]
    unsaved = client.flows.generate_flow_graph_from_source(TENANT, source.replace("id: shaped", "id: draft"))
    assert len(unsaved.edges or []) == len(graph.edges or [])
    with pytest.raises(UnprocessableEntityException):
        client.flows.generate_flow_graph_from_source(TENANT, "id: bad\nnamespace: demo.client\ntasks: []\n")


def test_an_execution_s_topology_carries_its_task_runs(client: KestraClient) -> None:
    client.flows.create_flow(TENANT, GREET.replace("id: greet\n", "id: greet_graph\n", 1))
    ran = client.executions.create_execution(
        TENANT, "demo.client", "greet_graph", wait=True, inputs={"name": "Ada"}
    )
    graph = client.executions._raw_json_request(
        "GET", client.executions._tenant_path(TENANT, "executions", ran.id, "graph")
    )
    states = {
        node["uid"]: node["taskRun"]["state"]["current"] for node in graph["nodes"] if "taskRun" in node
    }
    assert states == {"root.hello": "SUCCESS", "root.size": "SUCCESS"}


# The concurrency tests' flow, in a namespace of its own.
HELD = CONCURRENCY_HELD.replace("namespace: demo\n", "namespace: demo.queue\n", 1)


def test_queued_executions_are_unqueued_and_forced_to_run(client: KestraClient) -> None:
    from kestrapy.models import StateType

    client.flows.create_flow(TENANT, HELD)

    def start(hold: bool) -> str:
        return str(client.executions.create_execution(TENANT, "demo.queue", "held", inputs={"hold": hold}).id)

    holder = start(True)
    _until(client, holder, {"PAUSED"})  # a paused execution holds its slot
    unqueued, cancelled, forced = start(False), start(False), start(False)
    for queued in (unqueued, cancelled, forced):
        _until(client, queued, {"QUEUED"})

    ran = client.executions.unqueue_execution(unqueued, TENANT)
    assert ran.id == unqueued
    assert _until(client, unqueued, {"SUCCESS"}) == "SUCCESS"  # the slot is still the holder's
    assert client.executions.unqueue_executions_by_ids(TENANT, StateType.CANCELLED, [cancelled]) == {
        "count": 1
    }
    assert _until(client, cancelled, {"CANCELLED"}) == "CANCELLED"
    assert not client.executions.execution(cancelled, TENANT).task_run_list
    assert client.executions.force_run_by_ids(TENANT, [forced]) == {"count": 1}
    assert _until(client, forced, {"SUCCESS"}) == "SUCCESS"
    with pytest.raises(ConflictException):
        client.executions.unqueue_execution(holder, TENANT)  # not queued
    with pytest.raises(UnprocessableEntityException):
        client.executions.unqueue_executions_by_ids(TENANT, StateType.SUCCESS, [holder])

    client.executions.force_run_execution(holder, TENANT)  # a paused one is resumed
    assert _until(client, holder, {"SUCCESS"}) == "SUCCESS"
    # Nothing was left in the queue, and the limit still holds: the next holder pauses with the slot, and
    # the one after it queues again.
    again = start(True)
    _until(client, again, {"PAUSED"})
    behind = start(False)
    _until(client, behind, {"QUEUED"})
    client.executions.kill_execution(again, TENANT)
    assert _until(client, behind, {"SUCCESS"}) == "SUCCESS"  # the slot passed on when the holder ended
    with pytest.raises(ConflictException):
        client.executions.force_run_execution(behind, TENANT)  # terminated


def test_bulk_status_labels_and_replay(client: KestraClient) -> None:
    from kestrapy.models import ExecutionControllerSetLabelsByIdsRequest, Label, StateType

    client.flows.create_flow(TENANT, FAILS.replace("namespace: demo.client", "namespace: demo.bulkops"))
    ids = [
        str(
            client.executions.create_execution(
                TENANT, "demo.bulkops", "fails", wait=True, labels=["team:a"]
            ).id
        )
        for _ in range(2)
    ]
    assert client.executions.update_executions_status_by_ids(TENANT, StateType.WARNING, ids) == {"count": 2}
    assert all(_until(client, i, {"WARNING"}) == "WARNING" for i in ids)
    with pytest.raises(UnprocessableEntityException):
        client.executions.update_executions_status_by_ids(TENANT, StateType.RUNNING, ids)

    request = ExecutionControllerSetLabelsByIdsRequest(
        executionsId=ids, executionLabels=[Label(key="env", value="prod")]
    )
    assert client.executions.set_labels_on_terminated_executions_by_ids(TENANT, request) == {"count": 2}
    by_flow = [{"field": "FLOW_ID", "operation": "EQUALS", "value": "fails"}]
    filters = [{"field": "NAMESPACE", "operation": "EQUALS", "value": "demo.bulkops"}, *by_flow]
    owner = [Label(key="owner", value="ops")]
    assert client.executions.set_labels_on_terminated_executions_by_query(TENANT, owner, filters) == {
        "count": 2
    }
    for execution_id in ids:
        labels = {
            label.key: label.value for label in client.executions.execution(execution_id, TENANT).labels or []
        }
        assert {k: labels.get(k) for k in ("team", "env", "owner")} == {
            "team": "a",
            "env": "prod",
            "owner": "ops",
        }

    assert client.executions.update_executions_status_by_query(TENANT, StateType.FAILED, filters) == {
        "count": 2
    }
    assert all(_until(client, i, {"FAILED"}) == "FAILED" for i in ids)

    # A new revision: replayed by query on each execution's own, by ids on the latest.
    second = FAILS.replace("namespace: demo.client", "namespace: demo.bulkops") + "description: second\n"
    client.flows.update_flow("demo.bulkops", "fails", TENANT, second)
    assert client.executions.replay_executions_by_query(TENANT, filters) == {"count": 2}
    assert client.executions.replay_executions_by_ids(TENANT, ids[:1], latest_revision=True) == {"count": 1}
    replays = client.executions.search_executions(TENANT, filters=filters, size=100)["results"]
    revisions = sorted(e["flowRevision"] for e in replays if e["id"] not in ids)
    assert revisions == [1, 1, 2]


def test_the_latest_execution_of_each_flow_and_the_flow_an_execution_runs(client: KestraClient) -> None:
    from kestrapy.models import ExecutionRepositoryInterfaceFlowFilter as FlowFilter

    gate = GATE.replace("namespace: demo.client", "namespace: demo.latest")
    client.flows.create_flow(TENANT, gate)
    client.flows.create_flow(TENANT, FAILS.replace("namespace: demo.client", "namespace: demo.latest"))
    first = client.executions.create_execution(TENANT, "demo.latest", "gate")
    second = client.executions.create_execution(TENANT, "demo.latest", "gate")
    _until(client, second.id, {"PAUSED"})
    latest = client.executions.latest_executions(
        TENANT,
        [FlowFilter(namespace="demo.latest", id="gate"), FlowFilter(namespace="demo.latest", id="fails")],
    )
    assert [(e.id, e.flow_id, str(getattr(e.status, "value", e.status))) for e in latest] == [
        (second.id, "gate", "PAUSED")
    ]  # the flow never run has none

    shown = client.executions.flow_from_execution_by_id(first.id, TENANT)
    assert (shown.id, shown.namespace, shown.revision) == ("gate", "demo.latest", 1)
    wait = shown.tasks[0]
    assert (wait.id, wait.type) == ("wait", "io.kestra.plugin.core.flow.Pause")
    assert [i.id for i in wait.inputs or []] == ["approved"]  # its onResume inputs
    client.flows.update_flow("demo.latest", "gate", TENANT, gate + "description: second\n")
    assert client.executions.flow_from_execution(TENANT, "demo.latest", "gate").revision == 2
    assert client.executions.flow_from_execution(TENANT, "demo.latest", "gate", revision=1).revision == 1
    for execution in (first, second):
        client.executions.kill_execution(execution.id, TENANT)


def test_executable_namespaces_and_flows_and_the_older_create_path(client: KestraClient) -> None:
    fails = FAILS.replace("namespace: demo.client", "namespace: demo.executable")
    off = fails.replace("id: fails", "id: off") + "disabled: true\n"
    for source in (fails, off, off.replace("demo.executable", "demo.executable.none")):
        client.flows.create_flow(TENANT, source)
    # kestrapy has no call for these routes: its own request helper, with its host and credentials.
    request = client.executions._raw_json_request
    base = client.executions._tenant_path(TENANT, "executions")
    listed = request("GET", f"{base}/namespaces")
    assert "demo.executable" in listed and "demo.executable.none" not in listed  # only a disabled flow
    flows = request("GET", f"{base}/namespaces/demo.executable/flows")
    assert [(f["id"], f["revision"], f["tasks"][0]["id"]) for f in flows] == [("fails", 1, "boom")]
    started = request("POST", f"{base}/trigger/demo.executable/fails")
    assert started["flowId"] == "fails" and _until(client, started["id"], {"FAILED"}) == "FAILED"
