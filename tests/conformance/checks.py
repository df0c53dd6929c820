"""One function per `expect` key of the corpus README, over Kestra's execution JSON shape.

Every check has the signature `(expected, case, execution, logs, executions) -> Verdict`: `execution` is the
execution under check (`execution_to_json`), `logs` its log lines (`log_to_json`), `executions` every
execution the case produced. A fact the JSON does not carry (a field Kite does not expose, a key this runner
does not know) is NOT_CHECKED, never PASS, so a case cannot pass on what was not looked at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from msgspec import Struct, field

from tests.conformance.expect import (
    MISSING,
    Placeholders,
    mismatch,
    parse_duration,
    parse_instant,
)

Json = dict[str, Any]

# Kestra's State.Type.isTerminated().
TERMINAL = frozenset(
    {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED", "RESUBMITTED"}
)


class Status(Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_CHECKED = "NOT_CHECKED"


class Verdict(Struct, frozen=True):
    status: Status
    reason: str = ""


PASSED = Verdict(Status.PASS)


def fail(reason: str) -> Verdict:
    return Verdict(Status.FAIL, reason)


def not_checked(reason: str) -> Verdict:
    return Verdict(Status.NOT_CHECKED, reason)


class Unobservable(Exception):
    """Raised where the JSON lacks what a fact needs: the key becomes NOT_CHECKED."""


class CaseContext(Struct):
    """What checks need beyond one execution: the main execution's id (None in a scenario without a `main`
    alias), other executions' logs, and the ids of the executions a scenario's steps started, by alias."""

    main_id: str | None
    logs_of: Callable[[str], list[Json]] = field(default=lambda _id: [])
    aliases: Mapping[str, str] = field(default_factory=dict)


Check = Callable[[Any, CaseContext, Json, list[Json], list[Json]], Verdict]


def check_all(
    expect: Json,
    case: CaseContext,
    execution: Json,
    logs: list[Json],
    executions: list[Json],
    table: Mapping[str, Check] | None = None,
) -> dict[str, Verdict]:
    """A verdict per key; `rejected` belongs to the creation step and is judged by the runner. `table`:
    the checks to use, CHECKS (the execution-level keys) by default."""
    verdicts = {}
    for key, expected in expect.items():
        verdicts[key] = run_check(key, expected, case, execution, logs, executions, table)
    return verdicts


def run_check(
    key: str,
    expected: Any,
    case: CaseContext,
    execution: Json,
    logs: list[Json],
    executions: list[Json],
    table: Mapping[str, Check] | None = None,
) -> Verdict:
    check = (CHECKS if table is None else table).get(key)
    if check is None:
        return not_checked(f"the runner does not know the key {key!r}")
    try:
        return check(expected, case, execution, logs, executions)
    except Unobservable as exc:
        return not_checked(str(exc))


# --- reading the JSON ----------------------------------------------------------------------------------


def field_of(data: Json, name: str, what: str = "") -> Any:
    if name not in data:
        raise Unobservable(f"Kite's {what or 'JSON'} has no {name!r}")
    return data[name]


def runs_of(execution: Json) -> list[Json]:
    return list(field_of(execution, "taskRunList", "execution"))


def runs_of_task(execution: Json, task_id: str) -> list[Json]:
    return [r for r in runs_of(execution) if r["taskId"] == task_id]


def current(state_holder: Json) -> str:
    return str(field_of(state_holder, "state")["current"])


def attempts_of(run: Json) -> list[Json]:
    return list(field_of(run, "attempts", "task run") or [])


def history_states(state: Json) -> list[str]:
    return [h["state"] for h in field_of(state, "histories", "state")]


def instant(state: Json, name: str) -> datetime | None:
    return parse_instant(state.get(name))


def loop_values(execution: Json, run: Json) -> list[str]:
    """Loop values of the run and its ancestors, outermost first (Kestra's findTaskRunByTaskIdAndValue)."""
    by_id = {r["id"]: r for r in runs_of(execution)}
    values: list[str] = []
    node: Json | None = run
    while node is not None:
        if node.get("value") is not None:
            values.insert(0, node["value"])
        node = by_id.get(node.get("parentTaskRunId") or "")
    return values


def labels_of(execution: Json) -> dict[str, Any]:
    return {label["key"]: label["value"] for label in field_of(execution, "labels", "execution") or []}


def children_of(execution: Json, executions: list[Json], *, transitive: bool) -> list[Json]:
    """Executions created by this one's Subflow tasks, in creation order: those whose `parentId` or
    `trigger.variables.executionId` names it (then theirs, when transitive)."""

    def direct(parent_id: str) -> list[Json]:
        return [
            e
            for e in executions
            if e["id"] != parent_id
            and (
                e.get("parentId") == parent_id
                or ((e.get("trigger") or {}).get("variables") or {}).get("executionId") == parent_id
            )
        ]

    found: list[Json] = []
    frontier = [execution["id"]]
    while frontier:
        layer = [c for parent in frontier for c in direct(parent) if c not in found]
        found += layer
        frontier = [c["id"] for c in layer] if transitive else []
    return sorted(found, key=lambda e: e["state"].get("startDate") or "")


def placeholders(case: CaseContext, execution: Json, executions: list[Json]) -> Placeholders:
    def resolve(name: str) -> str | None:
        kind, _, argument = name.partition(":")
        if name == "execution.id":
            return case.main_id
        if kind == "execution":
            return case.aliases.get(argument)
        if kind == "taskrun":
            runs = runs_of_task(execution, argument)
            return str(runs[0]["id"]) if runs else None
        if kind == "child":
            for transitive in (False, True):
                for child in children_of(execution, executions, transitive=transitive):
                    if f"{child['namespace']}.{child['flowId']}" == argument:
                        return str(child["id"])
        return None

    return resolve


def _compare(
    expected: Any,
    actual: Any,
    case: CaseContext,
    execution: Json,
    executions: list[Json],
    *,
    null_is_value: bool = False,
) -> Verdict:
    problem = mismatch(
        expected, actual, placeholders(case, execution, executions), null_is_value=null_is_value
    )
    return PASSED if problem is None else fail(problem)


def _combine(parts: Iterable[tuple[str, Verdict]]) -> Verdict:
    """One verdict from several sub-facts: any FAIL fails, else any NOT_CHECKED is not checked."""
    parts = list(parts)
    failed = [f"{name} {v.reason}" for name, v in parts if v.status is Status.FAIL]
    unchecked = [f"{name} {v.reason}" for name, v in parts if v.status is Status.NOT_CHECKED]
    if failed:
        return fail("; ".join(failed + [f"{u} (not checked)" for u in unchecked]))
    if unchecked:
        return not_checked("; ".join(unchecked))
    return PASSED


# --- task runs -----------------------------------------------------------------------------------------


def _history_counts(run: Json, expected: Any) -> dict[str, int]:
    counts = Counter(history_states(field_of(run, "state", "task run")))
    # A state the spec names but the history lacks appears 0 times, it is not a missing key.
    return {state: counts.get(state, 0) for state in (expected or {})} | dict(counts)


def _duration_at_least(expected: str, run: Json) -> str | None:
    state = run["state"]
    start, end = instant(state, "startDate"), instant(state, "endDate")
    if start is None or end is None:
        return f"the task run has no end date (state {state['current']})"
    if end - start >= parse_duration(expected):
        return None
    return f"lasted {(end - start).total_seconds()}s, expected at least {expected}"


def _starts_after_execution_end(expected: bool, run: Json, execution: Json) -> str | None:
    ended = instant(execution["state"], "endDate")
    started = instant(run["state"], "startDate")
    if ended is None or started is None:
        return "the execution has no end date"
    if (started >= ended) == bool(expected):
        return None
    return f"started {run['state']['startDate']}, execution ended {execution['state']['endDate']}"


def run_fact(
    key: str, expected: Any, run: Json, case: CaseContext, execution: Json, executions: list[Json]
) -> Verdict:
    """One fact of one task run: the keys `tasks.<id>` (first run), `runs`, `firstRun`, `taskRunAt` share."""
    attempts = attempts_of(run) if key in _ATTEMPT_KEYS else []
    derived: dict[str, Callable[[], Any]] = {
        "taskId": lambda: run["taskId"],
        "state": lambda: current(run),
        "iteration": lambda: run.get("iteration", MISSING),
        "value": lambda: run.get("value", MISSING),
        "outputs": lambda: field_of(run, "outputs", "task run"),
        "values": lambda: loop_values(execution, run),
        "attempts": lambda: len(attempts),
        "firstAttemptState": lambda: current(attempts[0]) if attempts else MISSING,
        "lastAttemptState": lambda: current(attempts[-1]) if attempts else MISSING,
        "lastAttemptHistory": lambda: history_states(attempts[-1]["state"]) if attempts else MISSING,
        "lastAttemptHistoryLength": lambda: len(history_states(attempts[-1]["state"])) if attempts else 0,
        "historyCounts": lambda: _history_counts(run, expected),
    }
    if key in derived:
        return _compare(expected, derived[key](), case, execution, executions)
    if key == "durationAtLeast":
        problem = _duration_at_least(expected, run)
    elif key == "startsAfterExecutionEnd":
        problem = _starts_after_execution_end(expected, run, execution)
    else:
        return not_checked(f"the runner does not know the task-run key {key!r}")
    return PASSED if problem is None else fail(problem)


_ATTEMPT_KEYS = {"attempts", "firstAttemptState", "lastAttemptState", "lastAttemptHistory"}
_ATTEMPT_KEYS |= {"lastAttemptHistoryLength"}


def run_spec(spec: Any, run: Json, case: CaseContext, execution: Json, executions: list[Json]) -> Verdict:
    wanted = {"taskId": spec} if isinstance(spec, str) else spec
    return _combine([(k, run_fact(k, v, run, case, execution, executions)) for k, v in wanted.items()])


def _task_fact(
    key: str, expected: Any, runs: list[Json], case: CaseContext, execution: Json, executions: list[Json]
) -> Verdict:
    if key == "count":
        return _compare(expected, len(runs), case, execution, executions)
    if not runs:
        return fail("no task run")
    if key == "state":
        # Every task run of the id, not just the first (loops, retried subflows).
        states = [current(r) for r in runs]
        wrong = [s for s in states if mismatch(expected, s) is not None]
        return fail(f"expected {expected!r}, got {states}") if wrong else PASSED
    if key == "runs":
        missing = [
            spec
            for spec in expected
            if not any(run_spec(spec, r, case, execution, executions).status is Status.PASS for r in runs)
        ]
        if not missing:
            return PASSED
        seen = [{"values": loop_values(execution, r), "state": current(r)} for r in runs]
        return fail(f"no task run matches {missing!r}; runs: {seen}")
    if key == "firstRun":
        return run_spec(expected, runs[0], case, execution, executions)
    return run_fact(key, expected, runs[0], case, execution, executions)


def check_tasks(
    expected: Json, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    parts = []
    for task_id, spec in expected.items():
        runs = runs_of_task(execution, task_id)
        for key, value in spec.items():
            parts.append((f"{task_id}.{key}", _task_fact(key, value, runs, case, execution, executions)))
    return _combine(parts)


def check_task_run_at(
    expected: Json, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    runs = runs_of(execution)
    parts = []
    for index, spec in expected.items():
        position = int(index)
        if not -len(runs) <= position < len(runs):
            parts.append((f"[{index}]", fail(f"only {len(runs)} task runs")))
            continue
        verdict = run_spec(spec, runs[position], case, execution, executions)
        if verdict.status is Status.FAIL:
            verdict = fail(f"{verdict.reason} (task ids in order: {[r['taskId'] for r in runs]})")
        parts.append((f"[{index}]", verdict))
    return _combine(parts)


def check_ends_before_start(
    expected: list[list[str]], case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    problems = []
    for first, second in expected:
        a, b = runs_of_task(execution, first), runs_of_task(execution, second)
        if not a or not b:
            problems.append(f"{first if not a else second} has no task run")
            continue
        end, start = instant(a[0]["state"], "endDate"), instant(b[0]["state"], "startDate")
        if end is None or start is None or end > start:
            ends, starts = a[0]["state"].get("endDate"), b[0]["state"].get("startDate")
            problems.append(f"{first} ends {ends}, {second} starts {starts}")
    return fail("; ".join(problems)) if problems else PASSED


def check_absent_tasks(
    expected: list[str], case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    present = [t for t in expected if runs_of_task(execution, t)]
    return fail(f"{present} have task runs") if present else PASSED


def _open_runs(execution: Json, *, attempts: bool) -> list[str]:
    opened = []
    for run in runs_of(execution):
        tries = attempts_of(run) if attempts else []
        if current(run) not in TERMINAL or (tries and current(tries[-1]) not in TERMINAL):
            opened.append(f"{run['taskId']}={current(run)}")
    return opened


def check_terminated_except(
    expected: list[str], case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    opened = [o for o in _open_runs(execution, attempts=False) if o.split("=")[0] not in expected]
    return fail(f"not terminated: {opened}") if opened else PASSED


def check_all_terminated(
    expected: bool, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    opened = _open_runs(execution, attempts=True)
    if bool(opened) != bool(expected):
        return PASSED
    return fail(f"not terminated: {opened}" if expected else "every task run is terminated")


def check_all_state(
    expected: Any, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    wrong = [f"{r['taskId']}={current(r)}" for r in runs_of(execution) if mismatch(expected, current(r))]
    return fail(f"expected {expected!r}: {wrong}") if wrong else PASSED


# --- execution facts -----------------------------------------------------------------------------------


def _simple(read: Callable[[Json], Any], *, null_is_value: bool = False) -> Check:
    def check(
        expected: Any, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
    ) -> Verdict:
        return _compare(expected, read(execution), case, execution, executions, null_is_value=null_is_value)

    return check


def check_outputs(
    expected: Any, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    actual = field_of(execution, "outputs", "execution")
    if expected is None:
        # "null means the execution has no outputs": Kestra leaves the map out or empty.
        return PASSED if not actual else fail(f"expected no outputs, got {actual!r}")
    return _compare(expected, actual, case, execution, executions)


def outputs_tree(execution: Json) -> Json:
    """The `outputs` expression variable: task id, then one level per loop value, then the outputs."""
    tree: Json = {}
    for run in runs_of(execution):
        outputs = run.get("outputs")
        if not outputs:
            continue
        node = tree
        path = [run["taskId"], *loop_values(execution, run)]
        for step in path[:-1]:
            node = node.setdefault(step, {})
        node[path[-1]] = {**node.get(path[-1], {}), **outputs}
    return tree


def check_history(
    expected: Json, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    states = history_states(field_of(execution, "state", "execution"))
    problems = []
    prefix = expected.get("startsWith") or []
    if states[: len(prefix)] != prefix:
        problems.append(f"does not start with {prefix}")
    problems += [f"lacks {s}" for s in expected.get("contains") or [] if s not in states]
    problems += [f"has {s}" for s in expected.get("excludes") or [] if s in states]
    unknown = set(expected) - {"startsWith", "contains", "excludes"}
    if problems:
        return fail(f"{', '.join(problems)}: history {states}")
    return not_checked(f"unknown history keys {sorted(unknown)}") if unknown else PASSED


def check_logs(
    expected: list[Json], case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    problems = []
    for spec in expected:
        unknown = set(spec) - {"taskId", "contains", "equals", "count"}
        if unknown:
            return not_checked(f"unknown log keys {sorted(unknown)}")
        found = [
            line
            for line in logs
            if ("taskId" not in spec or line.get("taskId") == spec["taskId"])
            and ("contains" not in spec or spec["contains"] in str(line.get("message")))
            and ("equals" not in spec or spec["equals"] == line.get("message"))
        ]
        if len(found) != spec["count"] if "count" in spec else not found:
            near = [
                line.get("message")
                for line in logs
                if "taskId" not in spec or line.get("taskId") == spec["taskId"]
            ]
            problems.append(f"{spec!r} matched {len(found)} line(s); lines: {_clip(near)}")
    return fail("; ".join(problems)) if problems else PASSED


def _clip(messages: list[Any]) -> str:
    text = repr([str(m)[:120] for m in messages[:6]])
    return text + (f" (+{len(messages) - 6} more)" if len(messages) > 6 else "")


def check_trigger(
    expected: Any, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    trigger = field_of(execution, "trigger", "execution")
    if trigger is None and expected is not None:
        return fail("the execution has no trigger")
    return _compare(expected, trigger, case, execution, executions)


def check_child_executions(
    expected: list[Json], case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    children = children_of(execution, executions, transitive=True)
    parts = []
    for index, spec in enumerate(expected):
        facts = {k: v for k, v in spec.items() if k != "flow"}
        candidates = [c for c in children if f"{c['namespace']}.{c['flowId']}" == spec.get("flow")]
        if not candidates:
            flows = sorted({f"{c['namespace']}.{c['flowId']}" for c in children})
            parts.append(
                (f"[{index}]", fail(f"no child execution of {spec.get('flow')} (children: {flows})"))
            )
            continue
        verdicts = [
            _combine(
                [
                    (k, run_check(k, v, case, child, case.logs_of(child["id"]), executions))
                    for k, v in facts.items()
                ]
            )
            for child in candidates
        ]
        best = next((v for v in verdicts if v.status is Status.PASS), None)
        if best is None:
            best = next((v for v in verdicts if v.status is Status.NOT_CHECKED), verdicts[0])
        parts.append((f"[{index}] {spec.get('flow')}", best))
    return _combine(parts)


def check_flow_executions(
    expected: Json, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    parts = []
    for flow, spec in expected.items():
        of_flow = [e for e in executions if f"{e['namespace']}.{e['flowId']}" == flow]
        states = [current(e) for e in of_flow]
        for key, value in spec.items():
            if key == "count":
                verdict = _compare(value, len(of_flow), case, execution, executions)
            elif key == "states":
                verdict = _compare(value, states, case, execution, executions)
            elif key == "stateCounts":
                counts = Counter(states)
                verdict = _compare(
                    value, {s: counts.get(s, 0) for s in value} | dict(counts), case, execution, executions
                )
            elif key == "awaitState":
                verdict = PASSED if value in states else fail(f"none reached {value}: {states}")
            else:
                verdict = not_checked(f"unknown key {key!r}")
            if verdict.status is Status.FAIL and key != "states":
                verdict = fail(f"{verdict.reason} (states: {states})")
            parts.append((f"{flow}.{key}", verdict))
    return _combine(parts)


def check_rejected(
    expected: Json, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    return fail(f"the execution was created and ended {current(execution)}")


def rejection_verdict(expected: Json, message: str, details: list[str]) -> Verdict:
    """Creation failed with `message` (`details`: the single errors, when there are several)."""
    problems = []
    wanted = [expected["messageContains"]] if "messageContains" in expected else []
    wanted += expected.get("messageContainsAll") or []
    problems += [f"lacks {w!r}" for w in wanted if w not in message]
    if "messageEquals" in expected and expected["messageEquals"] not in [message, *details]:
        problems.append(f"differs from {expected['messageEquals']!r}")
    unknown = set(expected) - {"messageContains", "messageContainsAll", "messageEquals"}
    if problems:
        return fail(f"message {message!r} {', '.join(problems)}")
    return not_checked(f"unknown keys {sorted(unknown)}") if unknown else PASSED


CHECKS: dict[str, Check] = {
    "state": _simple(current),
    "taskRunCount": _simple(lambda e: len(runs_of(e))),
    "failedTaskRunCount": _simple(lambda e: sum(current(r) == "FAILED" for r in runs_of(e))),
    "tasks": check_tasks,
    "absentTasks": check_absent_tasks,
    "taskRunAt": check_task_run_at,
    "endsBeforeStart": check_ends_before_start,
    "terminatedExcept": check_terminated_except,
    "allTaskRunsTerminated": check_all_terminated,
    "allTaskRunsState": check_all_state,
    "outputs": check_outputs,
    "outputsTree": _simple(outputs_tree),
    "variables": _simple(lambda e: field_of(e, "variables", "execution")),
    "executionInputs": _simple(lambda e: field_of(e, "inputs", "execution"), null_is_value=True),
    "labels": _simple(labels_of),
    "labelsExactly": lambda expected, *rest: _simple(labels_of)({"$exactly": expected}, *rest),
    "labelCount": _simple(lambda e: len(labels_of(e))),
    "history": check_history,
    "logs": check_logs,
    "trigger": check_trigger,
    "childExecutions": check_child_executions,
    "flowExecutions": check_flow_executions,
    "rejected": check_rejected,
}


# --- aggregates over several executions (scenario step `awaitFlow` with a `count`) ----------------------


def check_states(
    expected: Any, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    return _compare(expected, [current(e) for e in executions], case, execution, executions)


def check_output_values(
    expected: Json, case: CaseContext, execution: Json, logs: list[Json], executions: list[Json]
) -> Verdict:
    parts = []
    for output, wanted in expected.items():
        values = [(field_of(e, "outputs", "execution") or {}).get(output) for e in executions]
        parts.append((output, _compare(wanted, values, case, execution, executions)))
    return _combine(parts)


# Run with `executions` the executions aggregated, and no execution under check (an empty one).
AGGREGATE_CHECKS: dict[str, Check] = {
    "states": check_states,
    "outputValues": check_output_values,
}
