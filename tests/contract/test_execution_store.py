"""ExecutionStore contract, for the in-memory store and DynamoDB (moto)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from contract_support import START, Harness, make_execution, make_task_run

from engine.model import serde
from engine.model.execution import Execution
from engine.model.logs import LogEntry, LogPurge
from engine.model.state import StateType
from engine.ports import (
    Claim,
    Commit,
    ConcurrentModificationError,
    Head,
    Message,
    OutboxEntry,
    QueueName,
)


def as_json(execution: Execution) -> dict[str, Any]:
    data = serde.execution_to_json(execution, internal=True)
    del data["version"]
    return data


def loaded(harness: Harness, execution_id: str) -> Execution:
    stored = harness.store.load(execution_id)
    assert stored is not None
    return stored.execution


def log(execution: Execution, text: str, offset_s: int = 0) -> LogEntry:
    return LogEntry(execution.id, "INFO", text, START + timedelta(seconds=offset_s), "run00000", "task0", 1)


def test_create_then_load_round_trips_header_and_task_runs(harness: Harness) -> None:
    execution = make_execution(runs=5)

    assert harness.store.create(execution) == 1

    back = loaded(harness, execution.id)
    assert back.version == 1
    assert as_json(back) == as_json(execution)
    assert [r.seq for r in back.task_runs] == [0, 1, 2, 3, 4]


def test_load_of_unknown_execution_is_none(harness: Harness) -> None:
    assert harness.store.load("nope") is None


def test_create_twice_is_a_concurrent_modification(harness: Harness) -> None:
    harness.store.create(make_execution())
    with pytest.raises(ConcurrentModificationError):
        harness.store.create(make_execution())


def test_loaded_execution_is_not_shared_with_the_store(harness: Harness) -> None:
    execution = make_execution(runs=1)
    harness.store.create(execution)
    execution.inputs["name"] = "changed after create"

    first = loaded(harness, execution.id)
    first.inputs["name"] = "changed after load"
    first.task_runs.get("run00000").outputs["nested"]["list"].append("changed")

    again = loaded(harness, execution.id)
    assert again.inputs["name"] == "world"
    assert again.task_runs.get("run00000").outputs["nested"] == {"list": [1, "two", None]}


def test_commit_is_conditional_on_the_loaded_version(harness: Harness) -> None:
    harness.store.create(make_execution(runs=2))
    first = loaded(harness, "exec1")
    stale = loaded(harness, "exec1")

    first.task_runs.put(first.task_runs.get("run00001").terminate(StateType.SUCCESS, START))
    first.task_runs.put(make_task_run(first, 2))
    first.next_seq = 3
    version = harness.store.commit(Commit(first, frozenset({"run00001", "run00002"})))
    assert version == 2

    stale.with_state(StateType.FAILED, START)
    stale.task_runs.put(stale.task_runs.get("run00000").terminate(StateType.FAILED, START))
    with pytest.raises(ConcurrentModificationError):
        harness.store.commit(Commit(stale, frozenset({"run00000"}), logs=(log(stale, "lost"),)))

    back = loaded(harness, "exec1")
    assert back.version == 2
    assert as_json(back) == as_json(first)
    assert harness.store.logs("exec1") == []


def test_the_head_follows_commits(harness: Harness) -> None:
    assert harness.store.head("exec1") is None
    harness.store.create(make_execution())
    execution = loaded(harness, "exec1")
    assert harness.store.head("exec1") == Head(1, execution.state.current)
    execution.task_runs.put(make_task_run(execution, 0))
    execution.next_seq = 1
    execution.with_state(StateType.SUCCESS, START)
    harness.store.commit(Commit(execution, frozenset({"run00000"})))
    assert harness.store.head("exec1") == Head(2, StateType.SUCCESS)


MANY = 300


def test_a_commit_of_any_size_round_trips(harness: Harness) -> None:
    harness.store.create(make_execution())
    execution = loaded(harness, "exec1")
    for seq in range(MANY):
        execution.task_runs.put(make_task_run(execution, seq))
    execution.next_seq = MANY
    outbox = (OutboxEntry(Message(QueueName.WORKER, {"run": "run00089"}, "run00089-1"), START),)

    version = harness.store.commit(
        Commit(execution, frozenset(r.id for r in execution.task_runs), outbox=outbox)
    )

    stored = harness.store.load("exec1")
    assert stored is not None
    assert version == 2
    assert stored.execution.version == version
    assert stored.execution.next_seq == MANY
    assert [r.seq for r in stored.execution.task_runs] == list(range(MANY))
    assert as_json(stored.execution) == as_json(execution)
    assert stored.outbox == list(outbox)


def test_loading_after_a_known_copy_is_a_full_load(harness: Harness) -> None:
    """What a dispatcher that keeps its last copy gets: the same execution as a full load, whatever was
    written since (task runs changed and removed, the header, the outbox), and its copy left as it was."""
    harness.store.create(make_execution(runs=4))
    known = harness.store.load("exec1")
    assert known is not None
    kept = as_json(known.execution)
    assert harness.store.load("exec1", known) == known

    execution = loaded(harness, "exec1")
    execution.task_runs.put(execution.task_runs.get("run00001").terminate(StateType.SUCCESS, START))
    execution.task_runs.put(make_task_run(execution, 4))
    execution.next_seq = 5
    execution.version = harness.store.commit(
        Commit(execution, frozenset({"run00001", "run00004"}), header_changed=False)
    )
    execution.task_runs.remove("run00002")
    execution.with_state(StateType.RUNNING, START + timedelta(seconds=1))
    outbox = (OutboxEntry(Message(QueueName.WORKER, {"run": "run00004"}, "run00004-1"), START),)
    logs = (log(execution, "x"),)
    harness.store.commit(Commit(execution, frozenset(), frozenset({"run00002"}), outbox, logs))

    full = harness.store.load("exec1")
    after = harness.store.load("exec1", known)
    assert full is not None and after is not None
    assert after.execution.version == full.execution.version == 3
    assert after.execution.next_seq == 5
    assert as_json(after.execution) == as_json(full.execution)
    assert [r.id for r in after.execution.task_runs] == ["run00000", "run00001", "run00003", "run00004"]
    assert after.outbox == full.outbox == list(outbox)
    assert as_json(known.execution) == kept


def test_a_create_larger_than_a_commit_round_trips(harness: Harness) -> None:
    execution = make_execution(runs=250)
    assert harness.store.create(execution) == 1
    assert [r.seq for r in loaded(harness, "exec1").task_runs] == list(range(250))


def test_stale_commit_changes_nothing(harness: Harness) -> None:
    harness.store.create(make_execution(runs=3))
    winner = loaded(harness, "exec1")
    loser = loaded(harness, "exec1")
    harness.store.commit(Commit(winner, frozenset()))

    for seq in range(3, 3 + MANY):
        loser.task_runs.put(make_task_run(loser, seq))
    with pytest.raises(ConcurrentModificationError):
        harness.store.commit(Commit(loser, frozenset(r.id for r in loser.task_runs if r.seq >= 3)))

    assert len(loaded(harness, "exec1").task_runs) == 3


def test_removed_task_runs_disappear(harness: Harness) -> None:
    harness.store.create(make_execution(runs=4))
    execution = loaded(harness, "exec1")
    execution.task_runs.remove("run00003")
    execution.task_runs.remove("run00001")

    harness.store.commit(Commit(execution, frozenset(), removed=frozenset({"run00001", "run00003"})))

    assert [r.id for r in loaded(harness, "exec1").task_runs] == ["run00000", "run00002"]


def test_logs_keep_commit_order(harness: Harness) -> None:
    harness.store.create(make_execution())
    execution = loaded(harness, "exec1")
    first = tuple(log(execution, f"first {n}", n) for n in range(3))
    execution.version = harness.store.commit(Commit(execution, frozenset(), logs=first))
    second = tuple(log(execution, f"second {n}", n) for n in range(12))
    execution.version = harness.store.commit(Commit(execution, frozenset(), logs=second))
    harness.store.commit(Commit(execution, frozenset()))

    assert harness.store.logs("exec1") == list(first + second)
    assert harness.store.logs("unknown") == []


def test_large_documents_round_trip(harness: Harness) -> None:
    execution = make_execution()
    execution.inputs["big"] = "i" * 150_000
    execution.task_runs.put(make_task_run(execution, 0, outputs={"blob": "o" * 300_000}))
    execution.next_seq = 1
    outbox = [
        OutboxEntry(Message(QueueName.DISPATCH, {"blob": "m" * 120_000}, "big", group_id="exec1"), START)
    ]
    harness.store.create(execution, outbox)
    execution.version = 1

    stored = harness.store.load("exec1")
    assert stored is not None
    assert as_json(stored.execution) == as_json(execution)
    assert stored.outbox == outbox

    huge_log = log(execution, "l" * 200_000)
    small_logs = tuple(log(execution, f"line {n} " + "x" * 1000, n) for n in range(150))
    harness.store.commit(Commit(execution, frozenset(), logs=(huge_log, *small_logs)))
    assert harness.store.logs("exec1") == [huge_log, *small_logs]


def test_outbox_round_trips_and_is_replaced_by_each_commit(harness: Harness) -> None:
    outbox = [
        OutboxEntry(
            Message(
                QueueName.DISPATCH,
                {"type": "ExecutionCreated", "id": "exec1"},
                "exec1-created",
                group_id="exec1",
            ),
            START,
        ),
        OutboxEntry(
            Message(QueueName.WORKER, {"type": "RunTask", "attempt": 1}, "run00000-1"),
            START + timedelta(seconds=1),
            origins=("m1", "m2"),
            ordered=True,
        ),
        OutboxEntry(
            Message(
                QueueName.TIMER,
                {"type": "TimerFired"},
                "t-1",
                deliver_at=START + timedelta(hours=2, microseconds=7),
            ),
            START,
            origins=("m3",),
        ),
    ]
    harness.store.create(make_execution(), outbox)
    stored = harness.store.load("exec1")
    assert stored is not None
    assert stored.outbox == outbox

    harness.store.commit(Commit(stored.execution, frozenset()))
    again = harness.store.load("exec1")
    assert again is not None
    assert again.outbox == []


def test_search_lists_headers_newest_first(harness: Harness) -> None:
    older = make_execution("exec-a", runs=2, at=START)
    newer = make_execution("exec-b", at=START + timedelta(minutes=1), state=StateType.SUCCESS)
    other_flow = make_execution("exec-c", at=START + timedelta(minutes=2), flow_id="other")
    other_namespace = make_execution("exec-d", at=START + timedelta(minutes=3), namespace="company.other")
    for execution in (older, newer, other_flow, other_namespace):
        harness.store.create(execution)

    def ids(found: list[Execution]) -> list[str]:
        return [e.id for e in found]

    assert ids(harness.store.search("company.team", "hello")) == ["exec-b", "exec-a"]
    assert ids(harness.store.search("company.team", "hello", "SUCCESS")) == ["exec-b"]
    assert ids(harness.store.search("company.team")) == ["exec-c", "exec-b", "exec-a"]
    assert ids(harness.store.search(state="RUNNING")) == ["exec-d", "exec-c", "exec-a"]
    assert ids(harness.store.search(flow_id="other")) == ["exec-c"]
    assert ids(harness.store.search()) == ["exec-d", "exec-c", "exec-b", "exec-a"]
    found = harness.store.search("company.team", "hello")[1]
    assert len(found.task_runs) == 0
    assert serde.header_to_json(found) == serde.header_to_json(older)


def test_a_search_takes_the_newest_up_to_its_limit(harness: Harness) -> None:
    for number in range(4):
        execution = make_execution(f"exec-{number}", at=START + timedelta(minutes=number))
        if number % 2:
            execution.trigger = {"id": "t", "type": "x", "variables": {"executionId": "parent"}}
        harness.store.create(execution)

    def ids(found: list[Execution]) -> list[str]:
        return [e.id for e in found]

    assert ids(harness.store.search("company.team", "hello", limit=1)) == ["exec-3"]
    assert ids(harness.store.search("company.team", "hello", "RUNNING", limit=2)) == ["exec-3", "exec-2"]
    assert ids(harness.store.search(limit=3)) == ["exec-3", "exec-2", "exec-1"]
    assert ids(harness.store.search(started_by="parent", limit=1)) == ["exec-3"]
    assert ids(harness.store.search("company.team", "hello", limit=10)) == [
        "exec-3",
        "exec-2",
        "exec-1",
        "exec-0",
    ]


def test_search_lists_what_an_execution_started(harness: Harness) -> None:
    """Kestra's triggerExecutionId: a Subflow's children, a Flow trigger's executions."""
    for number, parent in enumerate(["parent", "parent", "other", None]):
        execution = make_execution(f"child-{number}", at=START + timedelta(minutes=number))
        if parent is not None:
            execution.trigger = {"id": "call", "type": "io.kestra.plugin.core.flow.Subflow", "variables": {
                "executionId": parent, "namespace": "company.team", "flowId": "parent"
            }}  # fmt: skip
        harness.store.create(execution)
    assert [e.id for e in harness.store.search(started_by="parent")] == ["child-1", "child-0"]
    assert [e.id for e in harness.store.search(started_by="parent", state="SUCCESS")] == []
    assert [e.id for e in harness.store.search(started_by="nobody")] == []
    assert harness.store.search(started_by="other")[0].trigger_execution_id() == "other"


def test_an_attempt_is_claimed_once_held_during_its_lease_then_lapsed(harness: Harness) -> None:
    lease = timedelta(minutes=15)
    now = harness.now()
    assert harness.store.claim("e1", "run1", 1, now, lease) is Claim.CLAIMED
    assert harness.store.claim("e1", "run1", 1, now + timedelta(minutes=14), lease) is Claim.HELD
    assert harness.store.claim("e1", "run1", 1, now + timedelta(minutes=16), lease) is Claim.LAPSED
    # Another attempt, another task run or another execution is another claim.
    assert harness.store.claim("e1", "run1", 2, now, lease) is Claim.CLAIMED
    assert harness.store.claim("e1", "run2", 1, now, lease) is Claim.CLAIMED
    assert harness.store.claim("e2", "run1", 1, now, lease) is Claim.CLAIMED


def test_a_deleted_execution_is_gone_with_its_logs_claims_and_listing(harness: Harness) -> None:
    execution = make_execution(runs=3)
    harness.store.create(execution)
    stored = loaded(harness, execution.id)
    log = LogEntry(execution.id, "INFO", "hello", START)
    harness.store.commit(Commit(stored, frozenset({r.id for r in stored.task_runs}), frozenset(), (), (log,)))
    harness.store.claim(execution.id, "run1", 1, harness.now(), timedelta(minutes=15))
    other = make_execution(runs=1)
    other.id = "other"
    harness.store.create(other)

    assert harness.store.delete(execution.id) is True
    assert harness.store.load(execution.id) is None
    assert harness.store.head(execution.id) is None
    assert harness.store.logs(execution.id) == []
    assert [e.id for e in harness.store.search()] == ["other"]
    # The claim went too: the same attempt of a new execution with that id is claimed afresh.
    assert harness.store.claim(execution.id, "run1", 1, harness.now(), timedelta(minutes=15)) is Claim.CLAIMED
    assert harness.store.delete(execution.id) is False


def test_purged_logs_are_no_longer_read_and_later_ones_are(harness: Harness) -> None:
    execution = make_execution(runs=1)
    harness.store.create(execution)
    stored = loaded(harness, execution.id)
    early = [
        LogEntry(execution.id, "INFO", "info", START, task_id="a"),
        LogEntry(execution.id, "ERROR", "error", START, task_id="a"),
        LogEntry(execution.id, "INFO", "other task", START, task_id="b"),
    ]
    stored.version = harness.store.commit(Commit(stored, frozenset(), frozenset(), (), tuple(early)))
    harness.store.purge_logs(execution.id, LogPurge(START, min_level="WARN", task_id="a"))
    assert [e.message for e in harness.store.logs(execution.id)] == ["info", "other task"]
    harness.store.purge_logs(execution.id, LogPurge(START))
    later = LogEntry(execution.id, "INFO", "later", START + timedelta(seconds=1))
    harness.store.commit(Commit(stored, frozenset(), frozenset(), (), (later,)))
    assert [e.message for e in harness.store.logs(execution.id)] == ["later"]


def test_a_long_history_loads_the_same_from_scratch_and_from_any_copy(harness: Harness) -> None:
    """Hundreds of steps, runs added and removed across them: a cold load, and a load from a copy kept at
    any version, give the execution the last step wrote (the DynamoDB store folds from a snapshot)."""
    harness.store.create(make_execution(runs=2))
    execution = loaded(harness, "exec1")
    copies = []
    for step in range(200):
        execution.task_runs.put(make_task_run(execution, 2 + step))
        execution.next_seq = 3 + step
        removed = (
            frozenset({f"run{step:05d}"})
            if step % 3 == 0 and f"run{step:05d}" in execution.task_runs
            else frozenset()
        )
        for run_id in removed:
            execution.task_runs.remove(run_id)
        logs = (log(execution, f"step {step}"),)
        changed = frozenset({f"run{2 + step:05d}"}) - removed
        execution.version = harness.store.commit(
            Commit(execution, changed, removed, (), logs, step % 50 == 0)
        )
        if step % 37 == 0:
            stored = harness.store.load("exec1")
            assert stored is not None
            copies.append(stored)
    expected = as_json(execution)
    assert as_json(loaded(harness, "exec1")) == expected
    for copy in copies:
        again = harness.store.load("exec1", copy)
        assert again is not None and as_json(again.execution) == expected
    assert [entry.message for entry in harness.store.logs("exec1")] == [f"step {n}" for n in range(200)]


def test_live_lines_show_until_their_attempt_is_committed_then_its_lines_replace_them(
    harness: Harness,
) -> None:
    harness.store.create(make_execution())
    execution = loaded(harness, "exec1")

    def line(text: str, attempt: int) -> LogEntry:
        return LogEntry(execution.id, "INFO", text, START, "run00000", "task0", attempt)

    harness.store.append_live_logs(execution.id, "run00000", 1, 1, [line("one", 0), line("two", 0)])
    harness.store.append_live_logs(execution.id, "run00000", 1, 2, [line("three", 0)])
    harness.store.append_live_logs(execution.id, "run00000", 1, 2, [line("three", 0)])  # again: no change
    assert [e.message for e in harness.store.logs(execution.id)] == ["one", "two", "three"]

    reported = (line("one", 0), line("two", 0), line("three", 0), line("four", 0))
    execution.version = harness.store.commit(Commit(execution, frozenset(), logs=reported))
    assert [e.message for e in harness.store.logs(execution.id)] == ["one", "two", "three", "four"]

    # The next attempt's lines show live beside the first's; a purge applies to both.
    harness.store.append_live_logs(execution.id, "run00000", 2, 1, [line("retry", 1)])
    assert [e.message for e in harness.store.logs(execution.id)][-1] == "retry"
    harness.store.purge_logs(execution.id, LogPurge(START))
    assert harness.store.logs(execution.id) == []
    harness.store.append_live_logs(execution.id, "run00000", 3, 1, [line("kept", 2)])
    assert harness.store.delete(execution.id) is True
    assert harness.store.logs(execution.id) == []


def test_what_only_the_engine_reads_survives_a_cold_load(harness: Harness) -> None:
    """A kill that does not cascade, and the parent attempt a child's end answers: a step in another
    process reads them back (before, the DynamoDB store wrote the header without them)."""
    execution = make_execution()
    execution.waited_by = 2
    harness.store.create(execution)
    stored = harness.store.load("exec1")
    assert stored is not None and stored.execution.waited_by == 2
    changed = stored.execution
    changed.kill_cascade = False
    changed.with_state(StateType.KILLING, START + timedelta(seconds=1))
    harness.store.commit(Commit(changed, frozenset(), header_changed=True))
    again = harness.store.load("exec1")
    assert again is not None
    assert (again.execution.kill_cascade, again.execution.waited_by) == (False, 2)
