"""The kv.* tasks and kv() through the real pipeline (LocalKite on moto) and on the in-memory runner."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from msgspec import Struct

from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from engine.model.logs import LogEntry
from engine.services.app import Services
from engine.task_api import RunnableTask
from engine.task_api.registry import task_class
from infra.cli.main import main
from infra.embedded.local import LocalKite

KV_TYPES = [f"io.kestra.plugin.core.kv.{name}" for name in ("Set", "Get", "Delete", "GetKeys", "PurgeKV")]


class Ran(Struct):
    execution: Execution
    logs: list[LogEntry]

    @property
    def state(self) -> str:
        return self.execution.state.current.value

    def task(self, task_id: str) -> tuple[str, dict[str, Any]]:
        run = next(run for run in self.execution.task_runs if run.task_id == task_id)
        return run.state.current.value, dict(run.outputs or {})

    def outputs(self, task_id: str) -> dict[str, Any]:
        state, outputs = self.task(task_id)
        assert state == "SUCCESS", (task_id, state, self.errors())
        return outputs

    def errors(self, task_id: str | None = None) -> list[str]:
        return [e.message for e in self.logs if e.level == "ERROR" and task_id in (None, e.task_id)]


RunFlow = Callable[[str], Ran]


def _runner(services: Callable[[], Services], execute: Callable[[str, str], Execution]) -> RunFlow:
    def run(source: str) -> Ran:
        record, _ = services().flows.deploy(source, "<flow>")
        execution = execute(record.namespace, record.id)
        return Ran(execution, services().executions.logs(execution.id))

    return run


@pytest.fixture(params=["embedded", "memory"])
def run_flow(request: pytest.FixtureRequest) -> Iterator[RunFlow]:
    """Deploys and runs a flow to its end; every flow of a test shares one KV store."""
    if request.param == "memory":
        runner = InMemoryRunner()
        yield _runner(lambda: runner.services, runner.run)
        return
    with LocalKite() as kite:
        yield _runner(lambda: kite.services, kite.run)


def test_kv_tasks_run_on_workers() -> None:
    for name in KV_TYPES:
        cls = task_class(name)
        assert cls is not None and issubclass(cls, RunnableTask) and not cls.inline, name


LIFECYCLE = """
id: lifecycle
namespace: company.team
tasks:
  - id: set_number
    type: io.kestra.plugin.core.kv.Set
    key: price
    value: "123.45"
    kvType: NUMBER
  - id: set_json
    type: io.kestra.plugin.core.kv.Set
    key: "{{ flow.id }}_items"
    value: '[{"name": "a"}, {"name": "b"}]'
    kvType: JSON
  - id: set_datetime
    type: io.kestra.plugin.core.kv.Set
    key: released
    value: "2025-03-04T05:06:07Z"
    kvType: DATETIME
  - id: set_typed
    type: io.kestra.plugin.core.kv.Set
    key: settings
    value: "{{ {'count': 3} }}"
  - id: get_number
    type: io.kestra.plugin.core.kv.Get
    key: price
  - id: get_json
    type: io.kestra.plugin.core.kv.Get
    key: lifecycle_items
  - id: get_datetime
    type: io.kestra.plugin.core.kv.Get
    key: released
  - id: use
    type: io.kestra.plugin.core.debug.Return
    format: >-
      {{ kv('price') * 2 }}|{{ kv('lifecycle_items')[1].name }}|{{ kv('released') | date('yyyy-MM-dd') }}|{{
      kv('settings').count + 1 }}
  - id: keys
    type: io.kestra.plugin.core.kv.GetKeys
  - id: prefixed
    type: io.kestra.plugin.core.kv.GetKeys
    prefix: "{{ 'li' }}"
  - id: delete
    type: io.kestra.plugin.core.kv.Delete
    key: price
  - id: delete_again
    type: io.kestra.plugin.core.kv.Delete
    key: price
  - id: get_missing
    type: io.kestra.plugin.core.kv.Get
    key: price
  - id: fallback
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('price', errorOnMissing=false) ?? 'gone' }}"
"""


def test_set_get_delete_keep_the_types(run_flow: RunFlow) -> None:
    ran = run_flow(LIFECYCLE)

    assert ran.state == "SUCCESS", ran.errors()
    assert ran.outputs("set_number") == {}
    assert ran.outputs("get_number") == {"value": 123.45}
    assert ran.outputs("get_json") == {"value": [{"name": "a"}, {"name": "b"}]}
    assert ran.outputs("get_datetime") == {"value": "2025-03-04T05:06:07.000000Z"}
    assert ran.outputs("use") == {"value": "246.9|b|2025-03-04|4"}
    assert ran.outputs("keys") == {"keys": ["lifecycle_items", "price", "released", "settings"]}
    assert ran.outputs("prefixed") == {"keys": ["lifecycle_items"]}
    assert ran.outputs("delete") == {"deleted": True}
    assert ran.outputs("delete_again") == {"deleted": False}
    assert ran.outputs("get_missing") == {}
    assert ran.outputs("fallback") == {"value": "gone"}


def test_pairs_outlive_the_execution_and_namespaces_are_separate(run_flow: RunFlow) -> None:
    writer = """
id: writer
namespace: company.team
tasks:
  - id: set
    type: io.kestra.plugin.core.kv.Set
    namespace: "{{ flow.namespace }}.shared"
    key: greeting
    value: hello
"""
    reader = """
id: reader
namespace: company.team.shared
tasks:
  - id: own
    type: io.kestra.plugin.core.kv.Get
    key: greeting
  - id: parent
    type: io.kestra.plugin.core.kv.Get
    namespace: company.team
    key: greeting
  - id: function
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('greeting') }} {{ kv('greeting', 'company.team.shared') }}"
"""
    assert run_flow(writer).state == "SUCCESS"
    ran = run_flow(reader)

    assert ran.outputs("own") == {"value": "hello"}
    assert ran.outputs("parent") == {}
    assert ran.outputs("function") == {"value": "hello hello"}


@pytest.mark.parametrize("task", ["Get", "Delete"])
def test_error_on_missing_fails_with_kestra_message(run_flow: RunFlow, task: str) -> None:
    ran = run_flow(f"""
id: strict
namespace: company.team
tasks:
  - id: lookup
    type: io.kestra.plugin.core.kv.{task}
    key: my-key
    errorOnMissing: true
  - id: never
    type: io.kestra.plugin.core.debug.Return
    format: unreachable
""")

    assert ran.state == "FAILED"
    assert [run.task_id for run in ran.execution.task_runs] == ["lookup"]
    assert ran.errors("lookup") == [
        "No value found for key 'my-key' in namespace 'company.team' and `errorOnMissing` is set to true"
    ]


def test_kv_function_on_a_missing_key_fails(run_flow: RunFlow) -> None:
    ran = run_flow("""
id: function
namespace: company.team
tasks:
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('nothing') }}"
""")

    assert ran.state == "FAILED"
    assert any(
        "The key 'nothing' does not exist in the namespace 'company.team'." in line for line in ran.errors()
    )


def test_overwrite_false_refuses_an_existing_key(run_flow: RunFlow) -> None:
    ran = run_flow("""
id: once
namespace: company.team
tasks:
  - id: first
    type: io.kestra.plugin.core.kv.Set
    key: token
    value: first
    overwrite: false
  - id: second
    type: io.kestra.plugin.core.kv.Set
    key: token
    value: second
    overwrite: "{{ 1 > 2 }}"
""")

    assert ran.state == "FAILED"
    assert ran.task("first")[0] == "SUCCESS"
    assert ran.errors("second") == [
        "Cannot set value for key 'token'. Key already exists and `overwrite` is set to `false`."
    ]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "_secret",
            "Key must start with an alphanumeric character (uppercase or lowercase) and can contain "
            "alphanumeric characters (uppercase or lowercase), dots (.), underscores (_), "
            "and hyphens (-) only.",
        ),
        ("'{{ \"\" }}'", "Key cannot be null or empty"),
    ],
)
def test_an_invalid_key_fails_with_kestra_message(run_flow: RunFlow, key: str, message: str) -> None:
    ran = run_flow(f"""
id: bad_key
namespace: company.team
tasks:
  - id: set
    type: io.kestra.plugin.core.kv.Set
    key: {key}
    value: anything
""")

    assert ran.state == "FAILED"
    assert ran.errors("set") == [message]


TTL = """
id: ttl
namespace: company.team
tasks:
  - id: set
    type: io.kestra.plugin.core.kv.Set
    key: session
    value: abc
    ttl: PT1H
  - id: before
    type: io.kestra.plugin.core.kv.Get
    key: session
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT2H
  - id: after
    type: io.kestra.plugin.core.kv.Get
    key: session
  - id: keys
    type: io.kestra.plugin.core.kv.GetKeys
  - id: function
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('session', errorOnMissing=false) ?? 'expired' }}"
"""


def test_a_pair_expires_after_its_ttl_on_the_virtual_clock(run_flow: RunFlow) -> None:
    ran = run_flow(TTL)

    assert ran.state == "SUCCESS", ran.errors()
    assert ran.outputs("before") == {"value": "abc"}
    assert ran.outputs("after") == {}
    assert ran.outputs("keys") == {"keys": []}
    assert ran.outputs("function") == {"value": "expired"}


def test_kite_run_fast_forwards_through_a_ttl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "ttl.yaml"
    flow.write_text(TTL)

    assert main(["run", str(flow), "--fast-forward", "--json"]) == 0
    runs = {run["taskId"]: run["outputs"] for run in json.loads(capsys.readouterr().out)["taskRunList"]}
    assert runs["before"] == {"value": "abc"}
    assert runs["after"] == {}


PURGE = """
id: purge
namespace: company.team
tasks:
  - id: set_expiring
    type: io.kestra.plugin.core.kv.Set
    key: AI_expiring
    value: soon gone
    ttl: PT1S
  - id: set_kept
    type: io.kestra.plugin.core.kv.Set
    key: AI_kept
    value: stays
  - id: set_other
    type: io.kestra.plugin.core.kv.Set
    key: other
    value: untouched
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT2S
  - id: purge_expired
    type: io.kestra.plugin.core.kv.PurgeKV
    namespaces: ["{{ flow.namespace }}"]
    includeChildNamespaces: false
  - id: after_expired
    type: io.kestra.plugin.core.kv.GetKeys
  - id: purge_pattern
    type: io.kestra.plugin.core.kv.PurgeKV
    namespaces: [company.team]
    includeChildNamespaces: false
    keyPattern: AI_*
    behavior:
      type: key
      expiredOnly: false
  - id: after_pattern
    type: io.kestra.plugin.core.kv.GetKeys
"""


def test_purge_kv_deletes_expired_or_matching_pairs(run_flow: RunFlow) -> None:
    ran = run_flow(PURGE)

    assert ran.state == "SUCCESS", ran.errors()
    assert ran.outputs("purge_expired") == {"size": 1}
    assert ran.outputs("after_expired") == {"keys": ["AI_kept", "other"]}
    assert ran.outputs("purge_pattern") == {"size": 1}
    assert ran.outputs("after_pattern") == {"keys": ["other"]}


def test_purge_kv_refuses_both_namespaces_and_a_pattern(run_flow: RunFlow) -> None:
    ran = run_flow("""
id: purge_both
namespace: company.team
tasks:
  - id: purge
    type: io.kestra.plugin.core.kv.PurgeKV
    namespaces: [company]
    namespacePattern: 'company*'
""")

    assert ran.state == "FAILED"
    message = "Properties `namespaces` and `namespacePattern` can't be used at the same time"
    assert any(message in line for line in ran.errors("purge")), ran.errors()


SEEDS = """
id: seeds
namespace: {namespace}
tasks:
  - id: set
    type: io.kestra.plugin.core.kv.Set
    key: k
    value: v
"""


@pytest.mark.parametrize(
    ("properties", "purged"),
    [
        ("namespaces: [company]", ["company", "company.team", "company.team.data"]),
        ("namespaces: [company.team]", ["company.team", "company.team.data"]),
        ("namespaces: [company]\n    includeChildNamespaces: false", ["company"]),
        ("namespacePattern: 'company.*'", ["company.team", "company.team.data"]),
        ("namespacePattern: '*'", ["company", "company.team", "company.team.data", "company2", "other"]),
        ("expiredOnly: false", ["company", "company.team", "company.team.data", "company2", "other"]),
    ],
)
def test_purge_kv_picks_its_namespaces(run_flow: RunFlow, properties: str, purged: list[str]) -> None:
    """Named ones and their children (not `company2`: a child is under a dot), a wildcard, or every one."""
    everywhere = ["company", "company.team", "company.team.data", "company2", "other"]
    for namespace in everywhere:
        assert run_flow(SEEDS.format(namespace=namespace)).state == "SUCCESS"
    ran = run_flow(f"""
id: purge_some
namespace: company.team
tasks:
  - id: purge
    type: io.kestra.plugin.core.kv.PurgeKV
    behavior: {{type: key, expiredOnly: false}}
    {properties}
""")

    assert ran.state == "SUCCESS", ran.errors()
    assert ran.outputs("purge") == {"size": len(purged)}
    kept = [n for n in everywhere if run_flow(GET_KEYS.format(namespace=n)).outputs("keys")["keys"]]
    assert kept == [n for n in everywhere if n not in purged]


GET_KEYS = """
id: keys
namespace: {namespace}
tasks:
  - id: keys
    type: io.kestra.plugin.core.kv.GetKeys
"""
