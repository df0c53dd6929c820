"""ForEachItem on the embedded stack: one subflow execution per batch of a file's rows (issue 16), after
Kestra's ForEachItemCaseTest."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from engine.creation.uploads import Upload
from engine.expressions.ion import ion_value
from engine.kv import NamespaceKV
from engine.model.execution import Execution
from infra.embedded.local import LocalKite
from infra.embedded.server import LocalServer
from tests.functional.faults import on_every_function, twice

CHILD = """id: for-each-item-subflow
namespace: io.kestra.tests
inputs:
  - id: items
    type: STRING
tasks:
  - id: per-item
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.items }}"
"""

PARENT = """id: for-each-item
namespace: io.kestra.tests
inputs:
  - id: file
    type: FILE
  - id: batch
    type: INT
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ inputs.file }}"
    batch:
      rows: "{{inputs.batch}}"
    namespace: io.kestra.tests
    flowId: for-each-item-subflow
    wait: true
    transmitFailed: true
    inputs:
      items: "{{ taskrun.items }}"
"""

OUTPUTS_CHILD = """id: for-each-item-outputs-subflow
namespace: io.kestra.tests
inputs:
  - id: items
    type: STRING
tasks:
  - id: return
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.items) | trim }}"
outputs:
  - id: value
    value: "{{ outputs.return.value }}"
    type: STRING
"""

OUTPUTS_PARENT = """id: for-each-item-outputs
namespace: io.kestra.tests
inputs:
  - id: file
    type: FILE
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ inputs.file }}"
    batch:
      rows: 4
    namespace: io.kestra.tests
    flowId: for-each-item-outputs-subflow
    inputs:
      items: "{{ taskrun.items }}"
  - id: return
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.each_merge.subflowOutputs) }}"
"""


def _lines(count: int) -> bytes:
    return b"".join(f"Hello {n}\n".encode() for n in range(1, count + 1))


LINES = _lines(102)  # 26 batches of 4


def _children(kite: LocalKite, flow_id: str, namespace: str = "io.kestra.tests") -> list[Execution]:
    return list(kite.services.executions.store.search(namespace, flow_id))


def test_one_subflow_execution_per_batch_counted_in_iterations() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(CHILD)
        kite.deploy(PARENT)
        started = kite.start_execution(
            "io.kestra.tests", "for-each-item", {"batch": 4}, files={"file": Upload("items.txt", LINES)}
        )
        execution = kite.wait(started.id, timeout_s=300)
        children = _children(kite, "for-each-item-subflow")
    assert execution.state.current.value == "SUCCESS"
    runs = {run.task_id: run for run in execution.task_runs}
    assert list(runs) == ["each", "each_split", "each_items", "each_merge"]
    items = runs["each_items"]
    assert len(items.attempts) == 1 and items.attempts[0].state.current.value == "SUCCESS"
    assert items.outputs["numberOfBatches"] == 26
    assert items.outputs["iterations"] == {"CREATED": 0, "RUNNING": 0, "SUCCESS": 26}
    assert len(children) == 26 and {c.state.current.value for c in children} == {"SUCCESS"}
    last = max(children, key=lambda c: c.trigger["variables"]["batchIteration"])
    assert last.inputs["items"].endswith("/tasks/each_split/" + runs["each_split"].id + "/batch-26.txt")
    assert ("system.correlationId", execution.id) in [(label.key, label.value) for label in last.labels]


EMPTY = """id: for-each-item-empty
namespace: io.kestra.tests
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["empty.txt"]
    commands:
      - touch empty.txt
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ outputs.make.outputFiles['empty.txt'] }}"
    namespace: io.kestra.tests
    flowId: for-each-item-subflow
    inputs:
      items: "{{ taskrun.items }}"
"""


def test_every_message_delivered_twice_still_starts_and_counts_each_batch_once() -> None:
    with LocalKite(inline_budget=0, wrap=on_every_function(twice)) as kite:
        kite.deploy(CHILD)
        kite.deploy(OUTPUTS_CHILD)
        execution = _run_each(kite, _each("doubled", "for-each-item-outputs-subflow"), "doubled", lines=30)
        assert kite.pump is not None
        kite.pump.run_until(kite.pump.idle)
        children = _children(kite, "for-each-item-outputs-subflow")
        merged = kite.services.resources.storage.get(
            next(r for r in execution.task_runs if r.task_id == "each_merge").outputs["subflowOutputs"]
        )
    items = next(run for run in execution.task_runs if run.task_id == "each_items")
    assert execution.state.current.value == "SUCCESS"
    assert items.outputs["iterations"] == {"CREATED": 0, "RUNNING": 0, "SUCCESS": 8}
    assert len(children) == 8 and {c.state.current.value for c in children} == {"SUCCESS"}
    assert len(merged.decode().splitlines()) == 8


def test_empty_items_start_nothing() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(CHILD)
        kite.deploy(EMPTY)
        execution = kite.run("io.kestra.tests", "for-each-item-empty")
        children = _children(kite, "for-each-item-subflow")
    runs = {run.task_id: run for run in execution.task_runs}
    assert execution.state.current.value == "SUCCESS"
    assert len(runs) == 5 and runs["each_items"].outputs == {}
    assert children == []


def test_the_childrens_outputs_are_merged_in_batch_order() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(OUTPUTS_CHILD)
        kite.deploy(OUTPUTS_PARENT)
        started = kite.start_execution(
            "io.kestra.tests", "for-each-item-outputs", files={"file": Upload("items.txt", _lines(14))}
        )
        execution = kite.wait(started.id, timeout_s=300)
    runs = {run.task_id: run for run in execution.task_runs}
    assert execution.state.current.value == "SUCCESS"
    merged = [ion_value(line) for line in runs["return"].outputs["value"].splitlines()]
    assert len(merged) == 4
    assert merged[0] == {"value": "Hello 1\nHello 2\nHello 3\nHello 4"}
    assert merged[3] == {"value": "Hello 13\nHello 14"}


FAILING_CHILD = """id: for-each-item-subflow-failed
namespace: io.kestra.tests
inputs:
  - id: items
    type: STRING
tasks:
  - id: per-item
    type: io.kestra.plugin.core.execution.Fail
"""


def _each(flow_id: str, child: str, extra: str = "", after: str = "") -> str:
    return f"""id: {flow_id}
namespace: io.kestra.tests
inputs:
  - id: file
    type: FILE
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{{{ inputs.file }}}}"
    batch:
      rows: 4
    namespace: io.kestra.tests
    flowId: {child}
    inputs:
      items: "{{{{ taskrun.items }}}}"
{extra}{after}"""


def _run_each(kite: LocalKite, flow: str, flow_id: str, lines: int = 102) -> Execution:
    kite.deploy(flow)
    started = kite.start_execution(
        "io.kestra.tests", flow_id, files={"file": Upload("items.txt", _lines(lines))}
    )
    return kite.wait(started.id, timeout_s=300)


def test_a_failed_batch_fails_the_task_unless_failure_is_allowed() -> None:
    allowed = _each(
        "allowed",
        "for-each-item-subflow-failed",
        "    allowFailure: true\n",
        "  - id: log-allowed\n    type: io.kestra.plugin.core.log.Log\n    message: I'm allowed\n",
    )
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(FAILING_CHILD)
        failed = _run_each(kite, _each("failed", "for-each-item-subflow-failed"), "failed")
        warned = _run_each(kite, allowed, "allowed")
    items = next(run for run in failed.task_runs if run.task_id == "each_items")
    assert failed.state.current.value == "FAILED"
    assert items.state.current.value == "FAILED"
    assert items.outputs["iterations"] == {"CREATED": 0, "RUNNING": 0, "FAILED": 26}
    assert warned.state.current.value == "WARNING"
    assert {r.task_id: r.state.current.value for r in warned.task_runs}["log-allowed"] == "SUCCESS"


def test_without_wait_the_task_ends_once_every_batch_is_started() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(CHILD)
        execution = _run_each(kite, _each("no-wait", "for-each-item-subflow", "    wait: false\n"), "no-wait")
        assert kite.pump is not None
        kite.pump.run_until(kite.pump.idle)
        children = _children(kite, "for-each-item-subflow")
    items = next(run for run in execution.task_runs if run.task_id == "each_items")
    assert execution.state.current.value == "SUCCESS"
    assert items.outputs["iterations"] == {"CREATED": 0, "RUNNING": 26}
    assert len(children) == 26 and {c.state.current.value for c in children} == {"SUCCESS"}


SLOW_CHILD = """id: slow
namespace: io.kestra.tests
inputs:
  - id: items
    type: STRING
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1M
"""


def test_concurrency_limit_bounds_the_children_running_at_once() -> None:
    seen: list[int] = []
    with LocalKite(inline_budget=0, fast_forward=True) as kite:
        kite.deploy(SLOW_CHILD)
        kite.deploy(_each("limited", "slow", "    concurrencyLimit: 3\n"))
        started = kite.start_execution(
            "io.kestra.tests", "limited", files={"file": Upload("a.txt", _lines(40))}
        )

        def watch(execution: Execution) -> None:
            seen.append(sum(1 for c in _children(kite, "slow") if not c.state.current.terminated))

        execution = kite.wait(started.id, timeout_s=300, on_change=watch)
    assert execution.state.current.value == "SUCCESS"
    items = next(run for run in execution.task_runs if run.task_id == "each_items")
    assert items.outputs["iterations"]["SUCCESS"] == 10
    assert 0 < max(seen) <= 3


def test_a_kill_cascades_to_the_running_batches() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(SLOW_CHILD)
        kite.deploy(_each("killed", "slow"))
        started = kite.start_execution(
            "io.kestra.tests", "killed", files={"file": Upload("a.txt", _lines(102))}
        )
        assert kite.pump is not None

        def all_started() -> bool:
            return len(_children(kite, "slow")) == 26

        kite.pump.run_until(all_started)
        kite.services.executions.kill(started.id)
        execution = kite.wait(started.id, timeout_s=300)

        def all_killed() -> bool:
            return {c.state.current.value for c in _children(kite, "slow")} == {"KILLED"}

        kite.pump.run_until(all_killed)
    assert execution.state.current.value == "KILLED"


def test_a_kill_reaches_the_batches_started_without_waiting() -> None:
    """Kestra's kill reaches every execution the killed one started: here 26 children, more than one step
    tells, of a parent that ended once it had started them."""
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(SLOW_CHILD)
        parent = _run_each(kite, _each("forgets", "slow", "    wait: false\n"), "forgets")
        assert kite.pump is not None
        assert parent.state.current.value == "SUCCESS"

        def all(state: str) -> Callable[[], bool]:
            return lambda: [c.state.current.value for c in _children(kite, "slow")] == [state] * 26

        kite.pump.run_until(all("RUNNING"))  # asleep for a minute
        kite.services.executions.kill(parent.id)
        kite.pump.run_until(all("KILLED"))
        assert kite.services.executions.get(parent.id).state.current.value == "SUCCESS"


FLAKY_CHILD = """id: flaky
namespace: io.kestra.tests
inputs:
  - id: items
    type: STRING
tasks:
  - id: check
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ read(inputs.items) contains 'Hello 5' and kv('fixed', errorOnMissing=false) != true }}"
"""


def test_a_restart_runs_only_the_failed_batches_again() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(FLAKY_CHILD)
        failed = _run_each(kite, _each("restartable", "flaky"), "restartable", lines=12)
        kv = NamespaceKV(kite.services.resources.kv, kite.services.clock, "io.kestra.tests")
        kv.put("fixed", True, kv_type=None, ttl=None, overwrite=True)
        kite.services.executions.restart(failed.id)
        execution = kite.wait(failed.id, timeout_s=300)
        children = _children(kite, "flaky")
    items = next(run for run in execution.task_runs if run.task_id == "each_items")
    assert failed.state.current.value == "FAILED"
    assert execution.state.current.value == "SUCCESS"
    assert items.outputs["iterations"] == {"CREATED": 0, "RUNNING": 0, "FAILED": 0, "SUCCESS": 3}
    assert len(children) == 3  # the failed batch's child was restarted, not replaced
    assert (
        sorted(len(c.state.histories) for c in children)[-1]
        > sorted(len(c.state.histories) for c in children)[0]
    )


def test_a_restart_with_new_execution_starts_every_batch_again() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(FLAKY_CHILD)
        flow = _each("renewed", "flaky", "    restartBehavior: NEW_EXECUTION\n")
        failed = _run_each(kite, flow, "renewed", lines=12)
        kv = NamespaceKV(kite.services.resources.kv, kite.services.clock, "io.kestra.tests")
        kv.put("fixed", True, kv_type=None, ttl=None, overwrite=True)
        kite.services.executions.restart(failed.id)
        execution = kite.wait(failed.id, timeout_s=300)
        children = _children(kite, "flaky")
    items = next(run for run in execution.task_runs if run.task_id == "each_items")
    assert execution.state.current.value == "SUCCESS"
    assert items.outputs["iterations"] == {"CREATED": 0, "RUNNING": 0, "SUCCESS": 3}
    assert len(children) == 6  # three batches, each started again under a new id
    assert sorted(c.state.current.value for c in children) == ["FAILED", *["SUCCESS"] * 5]


JSON_CHILD = """id: mysubflow
namespace: company.team
inputs:
  - id: json
    type: JSON
tasks:
  - id: debug
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.json.name }}"
outputs:
  - id: name
    type: STRING
    value: "{{ inputs.json.name }}"
"""

# Kestra's documented examples, with what Kite has no plugin for (serdes, an S3 trigger) replaced by a
# script writing the file: JSON items one a line, and a ForEachItem inside a ForEach.
JSON_PARENT = """id: iterate_over_json
namespace: company.team
tasks:
  - id: ion_to_jsonl
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["*.jsonl"]
    commands:
      - |
        printf '{"name": "a"}\\n{"name": "b"}\\n{"name": "c"}\\n' > first.jsonl
        printf '{"name": "d"}\\n' > second.jsonl
  - id: loop_over_files
    type: io.kestra.plugin.core.flow.ForEach
    values: ["first.jsonl", "second.jsonl"]
    tasks:
      - id: for_each_item
        type: io.kestra.plugin.core.flow.ForEachItem
        items: "{{ outputs.ion_to_jsonl.outputFiles[parent.taskrun.value] }}"
        batch:
          rows: 1
        namespace: company.team
        flowId: mysubflow
        wait: true
        transmitFailed: true
        inputs:
          json: "{{ json(read(taskrun.items)) }}"
      - id: names
        type: io.kestra.plugin.core.debug.Return
        format: "{{ read(outputs.for_each_item_merge[taskrun.value].subflowOutputs) }}"
"""


def test_kestras_json_items_example_inside_a_foreach() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(JSON_CHILD)
        kite.deploy(JSON_PARENT)
        execution = kite.run("company.team", "iterate_over_json", timeout_s=300)
    assert execution.state.current.value == "SUCCESS", [
        (r.task_id, r.state.current.value) for r in execution.task_runs
    ]
    names = {run.value: run.outputs["value"] for run in execution.task_runs if run.task_id == "names"}
    assert names == {"first.jsonl": '{name:"a"}\n{name:"b"}\n{name:"c"}\n', "second.jsonl": '{name:"d"}\n'}


def test_without_wait_a_concurrency_limit_is_freed_by_each_batch_that_ends() -> None:
    """Found by the simulation (seed 90332): without `wait`, ends were not reported, so a limited
    ForEachItem never started past its first children."""
    limited = _each("no-wait-limited", "for-each-item-subflow", "    wait: false\n    concurrencyLimit: 3\n")
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(CHILD)
        execution = _run_each(kite, limited, "no-wait-limited")
        assert kite.pump is not None
        kite.pump.run_until(kite.pump.idle)
        children = _children(kite, "for-each-item-subflow")
    assert execution.state.current.value == "SUCCESS"
    assert len(children) == 26


PROCESS_BATCH = """id: process_batch
namespace: company.team
inputs:
  - id: data
    type: FILE
tasks:
  - id: debug
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(inputs.data) | trim }}"
"""

# Kestra's third documented example, its S3 trigger on the embedded moto. The example reads
# `trigger.uris[parent.taskrun.value]`, which no S3 trigger output has (Kestra's is Downloads' output:
# `objects` and `outputFiles`): the value itself, the object's file, is what it means.
PROCESS_FILES = """id: process_files
namespace: company.team
tasks:
  - id: loop_over_files
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{ trigger.objects | jq('.[].uri') }}"
    tasks:
      - id: subflow_per_batch
        type: io.kestra.plugin.core.flow.ForEachItem
        items: "{{ parent.taskrun.value }}"
        batch:
          rows: 1
        flowId: process_batch
        namespace: company.team
        wait: true
        transmitFailed: true
        inputs:
          data: "{{ taskrun.items }}"
triggers:
  - id: s3
    type: io.kestra.plugin.aws.s3.Trigger
    interval: "PT1S"
    bucket: "my-bucket"
    prefix: "sub-dir"
    action: MOVE
    moveTo:
      key: done
"""


def test_kestras_s3_trigger_example_fans_each_new_file_out() -> None:
    with LocalKite(start=datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC)) as kite:
        assert kite.stack is not None
        s3 = kite.stack.session.session.create_client("s3")
        region = kite.stack.session.region
        location = (
            {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        s3.create_bucket(Bucket="my-bucket", **location)
        s3.put_object(Bucket="my-bucket", Key="sub-dir/a.txt", Body=b"a1\na2\n")
        s3.put_object(Bucket="my-bucket", Key="sub-dir/b.txt", Body=b"b1\n")
        kite.deploy(PROCESS_BATCH)
        with LocalServer(kite, "127.0.0.1", 0, jump=True):
            kite.deploy(PROCESS_FILES)

            def processed() -> list[Execution]:
                batches = _children(kite, "process_batch", "company.team")
                return [e for e in batches if e.state.current.terminated]

            deadline = time.monotonic() + 60
            while len(processed()) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
        parents = kite.services.executions.store.search("company.team", "process_files")
        left = sorted(o["Key"] for o in s3.list_objects(Bucket="my-bucket").get("Contents", []))
        batches = processed()
        logs = sorted(
            e.message for b in batches for e in kite.services.executions.logs(b.id) if e.task_id == "debug"
        )
    assert len(parents) == 1  # the files moved away: later polls find nothing
    assert left == ["done/a.txt", "done/b.txt"]
    assert logs == ["a1", "a2", "b1"]
