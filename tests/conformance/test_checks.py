"""The expect-key checks on a hand-built execution in Kestra's JSON shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.checks import (
    AGGREGATE_CHECKS,
    CaseContext,
    Status,
    check_all,
    outputs_tree,
    rejection_verdict,
    run_check,
)


def _state(*states: str, start: str = "2024-01-01T00:00:00Z", end: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "current": states[-1],
        "histories": [{"state": s, "date": start} for s in states],
        "startDate": start,
    }
    if end is not None:
        state["endDate"] = end
    return state


def _run(
    run_id: str,
    task_id: str,
    *states: str,
    parent: str | None = None,
    value: str | None = None,
    start: str = "2024-01-01T00:00:00Z",
    end: str | None = "2024-01-01T00:00:01Z",
    attempts: int = 1,
    outputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": run_id,
        "taskId": task_id,
        "parentTaskRunId": parent,
        "value": value,
        "iteration": None,
        "state": _state(*states, start=start, end=end),
        "attempts": [{"state": _state("RUNNING", states[-1])} for _ in range(attempts)] or None,
        "outputs": outputs or {},
    }


MAIN: dict[str, Any] = {
    "id": "main",
    "namespace": "io.kestra.tests",
    "flowId": "parent",
    "state": _state("CREATED", "RUNNING", "FAILED", end="2024-01-01T00:00:10Z"),
    "inputs": {"a": 1, "b": None},
    "outputs": {"o": "x"},
    "variables": {},
    "labels": [{"key": "system.correlationId", "value": "main"}, {"key": "k", "value": "v"}],
    "trigger": None,
    "parentId": None,
    "taskRunList": [
        _run("r1", "each", "CREATED", "RUNNING", "SUCCESS", end="2024-01-01T00:00:03Z"),
        _run("r2", "ret", "CREATED", "RUNNING", "SUCCESS", parent="r1", value="v1", outputs={"value": "1"}),
        _run("r3", "ret", "CREATED", "RUNNING", "SUCCESS", parent="r1", value="v2", outputs={"value": "2"}),
        _run("r4", "fail", "CREATED", "RUNNING", "FAILED", start="2024-01-01T00:00:03Z", attempts=3),
        _run("r5", "after", "CREATED", "RUNNING", "SUCCESS", start="2024-01-01T00:00:10Z"),
    ],
}
CHILD: dict[str, Any] = {
    **MAIN,
    "id": "child",
    "flowId": "child",
    "state": _state("CREATED", "RUNNING", "SUCCESS"),
    "labels": [{"key": "system.correlationId", "value": "main"}],
    "trigger": {"type": "io.kestra.plugin.core.flow.Subflow", "variables": {"executionId": "main"}},
    "taskRunList": [],
}
CASE = CaseContext("main")

# (key, expected, holds)
TABLE: list[tuple[str, Any, Status]] = [
    ("state", "FAILED", Status.PASS),
    ("state", "SUCCESS", Status.FAIL),
    ("taskRunCount", 5, Status.PASS),
    ("failedTaskRunCount", {"$gte": 1}, Status.PASS),
    ("tasks", {"ret": {"state": "SUCCESS", "count": 2, "outputs": {"value": "1"}}}, Status.PASS),
    ("tasks", {"ret": {"runs": [{"values": ["v2"], "outputs": {"value": "2"}}]}}, Status.PASS),
    ("tasks", {"ret": {"runs": [{"values": ["v3"]}]}}, Status.FAIL),
    ("tasks", {"fail": {"attempts": 3, "lastAttemptState": "FAILED"}}, Status.PASS),
    ("tasks", {"fail": {"historyCounts": {"RUNNING": 1, "RETRYING": 0}}}, Status.PASS),
    ("tasks", {"fail": {"lastAttemptHistory": ["RUNNING", "FAILED"]}}, Status.PASS),
    ("tasks", {"missing": {"state": "SUCCESS"}}, Status.FAIL),
    ("tasks", {"missing": {"count": 0}}, Status.PASS),
    ("tasks", {"each": {"durationAtLeast": "PT3S"}}, Status.PASS),
    ("tasks", {"each": {"durationAtLeast": "PT4S"}}, Status.FAIL),
    ("tasks", {"after": {"startsAfterExecutionEnd": True}}, Status.PASS),
    ("tasks", {"fail": {"startsAfterExecutionEnd": True}}, Status.FAIL),
    ("tasks", {"each": {"someday": 1}}, Status.NOT_CHECKED),
    ("absentTasks", ["nope"], Status.PASS),
    ("absentTasks", ["fail"], Status.FAIL),
    ("taskRunAt", {"0": "each", "-1": {"taskId": "after", "state": "SUCCESS"}}, Status.PASS),
    ("taskRunAt", {"1": "fail"}, Status.FAIL),
    ("taskRunAt", {"9": "each"}, Status.FAIL),
    ("endsBeforeStart", [["each", "fail"]], Status.PASS),
    ("endsBeforeStart", [["fail", "each"]], Status.FAIL),
    ("allTaskRunsTerminated", True, Status.PASS),
    ("terminatedExcept", [], Status.PASS),
    ("allTaskRunsState", "SUCCESS", Status.FAIL),
    ("outputs", {"o": "x"}, Status.PASS),
    ("outputs", None, Status.FAIL),
    ("executionInputs", {"b": None}, Status.PASS),
    ("executionInputs", {"c": None}, Status.FAIL),
    ("labels", {"k": "v"}, Status.PASS),
    ("labelsExactly", {"k": "v"}, Status.FAIL),
    ("labelsExactly", {"k": "v", "system.correlationId": {"$fmt": "${execution.id}"}}, Status.PASS),
    ("labelCount", 2, Status.PASS),
    ("history", {"startsWith": ["CREATED", "RUNNING"], "excludes": ["KILLED"]}, Status.PASS),
    ("history", {"contains": ["PAUSED"]}, Status.FAIL),
    ("logs", [{"taskId": "fail", "contains": "boom"}], Status.PASS),
    ("logs", [{"contains": "boom", "count": 2}], Status.FAIL),
    ("logs", [{"equals": "nothing"}], Status.FAIL),
    ("trigger", {"type": "x"}, Status.FAIL),
    ("childExecutions", [{"flow": "io.kestra.tests.child", "state": "SUCCESS"}], Status.PASS),
    ("childExecutions", [{"flow": "io.kestra.tests.child", "state": "FAILED"}], Status.FAIL),
    ("childExecutions", [{"flow": "io.kestra.tests.other"}], Status.FAIL),
    (
        "childExecutions",
        [
            {
                "flow": "io.kestra.tests.child",
                "trigger": {"variables": {"executionId": {"$fmt": "${execution.id}"}}},
            }
        ],
        Status.PASS,
    ),
    ("flowExecutions", {"io.kestra.tests.child": {"count": 1, "states": ["SUCCESS"]}}, Status.PASS),
    ("flowExecutions", {"io.kestra.tests.parent": {"stateCounts": {"FAILED": 1, "SUCCESS": 0}}}, Status.PASS),
    ("flowExecutions", {"io.kestra.tests.parent": {"awaitState": "SUCCESS"}}, Status.FAIL),
    ("rejected", {"messageContains": "x"}, Status.FAIL),
    ("whatever", 1, Status.NOT_CHECKED),
]


@pytest.mark.parametrize(
    ("key", "expected", "status"), TABLE, ids=[f"{i}-{r[0]}" for i, r in enumerate(TABLE)]
)
def test_check(key: str, expected: Any, status: Status) -> None:
    logs = [{"taskId": "fail", "message": "it went boom"}]
    verdict = run_check(key, expected, CASE, MAIN, logs, [MAIN, CHILD])
    assert verdict.status is status, verdict.reason


def test_missing_fields_are_not_checked() -> None:
    bare = {"id": "main", "state": MAIN["state"]}
    verdicts = check_all({"state": "FAILED", "taskRunCount": 5}, CASE, bare, [], [bare])
    assert verdicts["state"].status is Status.PASS
    assert verdicts["taskRunCount"].status is Status.NOT_CHECKED


def test_placeholders_taskrun_and_child() -> None:
    expected = {"ret": {"firstRun": {"outputs": {"value": {"$fmt": "1"}}}}}
    assert run_check("tasks", expected, CASE, MAIN, [], [MAIN, CHILD]).status is Status.PASS
    parent = {**MAIN, "outputs": {"run": "r2", "child": "child"}}
    spec = {"run": {"$fmt": "${taskrun:ret}"}, "child": {"$fmt": "${child:io.kestra.tests.child}"}}
    assert run_check("outputs", spec, CASE, parent, [], [parent, CHILD]).status is Status.PASS


def test_placeholders_scenario_aliases() -> None:
    case = CaseContext(None, aliases={"b": "child"})
    spec = {"variables": {"executionId": {"$fmt": "${execution:b}"}}}
    assert run_check("trigger", spec, case, CHILD, [], [MAIN, CHILD]).status is Status.FAIL
    spec = {"variables": {"executionId": {"$fmt": "${execution:main}"}}}
    assert run_check("trigger", spec, case, CHILD, [], [MAIN, CHILD]).status is Status.FAIL
    spec = {"system.correlationId": {"$fmt": "${execution.id}"}}
    assert run_check("labels", spec, case, CHILD, [], [MAIN, CHILD]).status is Status.FAIL
    aliased = CaseContext("main", aliases={"p": "main"})
    spec = {"variables": {"executionId": {"$fmt": "${execution:p}"}}}
    assert run_check("trigger", spec, aliased, CHILD, [], [MAIN, CHILD]).status is Status.PASS


@pytest.mark.parametrize(
    ("expect", "status"),
    [
        ({"states": {"$sameItems": ["SUCCESS", "FAILED"]}}, Status.PASS),
        ({"states": ["SUCCESS"]}, Status.FAIL),
        ({"outputValues": {"o": ["x", "x"]}}, Status.PASS),
        ({"outputValues": {"o": {"$contains": "y"}}}, Status.FAIL),
        ({"count": 2}, Status.NOT_CHECKED),
    ],
)
def test_aggregate(expect: dict[str, Any], status: Status) -> None:
    verdicts = check_all(expect, CASE, {}, [], [MAIN, CHILD], AGGREGATE_CHECKS)
    assert [v.status for v in verdicts.values()] == [status]


def test_outputs_tree_nests_loop_values() -> None:
    assert outputs_tree(MAIN) == {"ret": {"v1": {"value": "1"}, "v2": {"value": "2"}}}


@pytest.mark.parametrize(
    ("expected", "status"),
    [
        ({"messageContains": "must be"}, Status.PASS),
        ({"messageContainsAll": ["a: must be", "b: bad"]}, Status.PASS),
        ({"messageEquals": "b: bad"}, Status.PASS),
        ({"messageEquals": "b"}, Status.FAIL),
        ({"messageContains": "missing"}, Status.FAIL),
    ],
)
def test_rejection(expected: dict[str, Any], status: Status) -> None:
    verdict = rejection_verdict(expected, "a: must be; b: bad", ["a: must be", "b: bad"])
    assert verdict.status is status
