"""Kestra's conformance corpus (../shared/conformance) through Kite's real pipeline.

    python -m tests.conformance.run [--case NAME]... [--set kestra] [--update-baseline] [--verbose]

Every single-run case (no `scenario`) is deployed and run on a fresh embedded stack; each `expect` key
is checked on its own. Keys Kite cannot observe yet are reported as not checked, never as passed, and a
case passes only when every key it asserts was checked and held.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kite.engine.durations import parse_duration
from kite.engine.inputs import InvalidInputsError
from kite.engine.loader.flow_loader import InvalidFlowError
from kite.engine.model.serde import execution_to_json, parse_instant
from kite.engine.ports import LogEntry, NotFoundError
from kite.engine.services.executions import FlowDisabledError, InvalidLabelError
from kite.infra.local import LocalKite

ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).with_name("baseline.txt")
REJECTIONS = (InvalidInputsError, InvalidFlowError, FlowDisabledError, InvalidLabelError, NotFoundError)


def corpus_dir() -> Path:
    return Path(os.environ.get("KITE_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))


class Unchecked(Exception):
    """An expectation this runner cannot check yet: reported as not checked, never as passed."""


@dataclass
class Outcome:
    name: str
    failures: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        return self.skipped is None and not self.failures and not self.unchecked

    def line(self) -> str:
        if self.skipped:
            return f"SKIP {self.name}: {self.skipped}"
        if self.passed:
            return f"PASS {self.name}"
        return f"FAIL {self.name}: " + "; ".join(
            self.failures + [f"{k}: not checked" for k in self.unchecked]
        )


# --- matching (README: "Matchers and placeholders") -------------------------------------------------


def matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and expected and all(k.startswith("$") for k in expected):
        return all(_matcher(k, v, actual) for k, v in expected.items())
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            (v is None and actual.get(k) is None) or (k in actual and matches(v, actual[k]))
            for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list) and len(expected) == len(actual) and all(map(matches, expected, actual))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or (expected == actual and type(expected) is type(actual))
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return bool(expected == actual)


def _matcher(kind: str, value: Any, actual: Any) -> bool:
    checks: dict[str, Callable[[], bool]] = {
        "$contains": lambda: value in actual if isinstance(actual, list | str) else False,
        "$containsAll": lambda: (
            isinstance(actual, list) and all(actual.count(v) >= value.count(v) for v in value)
        ),
        "$sameItems": lambda: (
            isinstance(actual, list) and sorted(map(json.dumps, actual)) == sorted(map(json.dumps, value))
        ),
        "$regex": lambda: isinstance(actual, str) and re.search(value, actual) is not None,
        "$startsWith": lambda: isinstance(actual, str) and actual.startswith(value),
        "$gte": lambda: actual is not None and actual >= value,
        "$gt": lambda: actual is not None and actual > value,
        "$lte": lambda: actual is not None and actual <= value,
        "$lt": lambda: actual is not None and actual < value,
        "$size": lambda: actual is not None and len(actual) == value,
        "$exists": lambda: (actual is not None) == value,
        "$not": lambda: not matches(value, actual),
        "$anyOf": lambda: any(matches(v, actual) for v in value),
        "$exactly": lambda: actual == value,
    }
    if kind not in checks:
        raise Unchecked(kind)
    try:
        return checks[kind]()
    except TypeError:
        return False


# --- checks -----------------------------------------------------------------------------------------


def _runs(execution: dict[str, Any], task_id: str) -> list[dict[str, Any]]:
    return [r for r in execution["taskRunList"] if r["taskId"] == task_id]


def _loop_values(execution: dict[str, Any], run: dict[str, Any]) -> list[str]:
    """The loop values of a run and its ancestors, outermost first (Kestra's findTaskRunByTaskIdAndValue)."""
    by_id = {r["id"]: r for r in execution["taskRunList"]}
    values: list[str] = []
    current: dict[str, Any] | None = run
    while current is not None:
        if current["value"] is not None:
            values.insert(0, current["value"])
        current = by_id.get(current["parentTaskRunId"] or "")
    return values


def _run_matches(spec: dict[str, Any], run: dict[str, Any], execution: dict[str, Any]) -> bool:
    actual = {
        "taskId": run["taskId"],
        "state": run["state"]["current"],
        "iteration": run["iteration"],
        "outputs": run["outputs"],
        "values": _loop_values(execution, run),
        "attempts": len(run["attempts"] or []),
        "historyCounts": _history_counts(run),
    }
    unknown = set(spec) - set(actual)
    if unknown:
        raise Unchecked(f"task run keys {sorted(unknown)}")
    return all(matches(v, actual[k]) for k, v in spec.items())


def _history_counts(run: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in run["state"]["histories"]:
        counts[entry["state"]] = counts.get(entry["state"], 0) + 1
    return counts


def _attempt_state(run: dict[str, Any], index: int) -> str | None:
    attempts = run["attempts"] or []
    return attempts[index]["state"]["current"] if attempts else None


def _check_task(task_id: str, spec: dict[str, Any], execution: dict[str, Any]) -> list[str]:
    runs = _runs(execution, task_id)
    problems = []
    for key, expected in spec.items():
        if key == "count":
            ok = matches(expected, len(runs))
        elif not runs:
            problems.append(f"tasks.{task_id}: no task run")
            break
        elif key == "state":
            ok = all(matches(expected, r["state"]["current"]) for r in runs)
        elif key == "outputs":
            ok = matches(expected, runs[0]["outputs"])
        elif key == "attempts":
            ok = matches(expected, len(runs[0]["attempts"] or []))
        elif key == "firstAttemptState":
            ok = matches(expected, _attempt_state(runs[0], 0))
        elif key == "lastAttemptState":
            ok = matches(expected, _attempt_state(runs[0], -1))
        elif key == "historyCounts":
            ok = matches(expected, _history_counts(runs[0]))
        elif key == "runs":
            ok = all(any(_run_matches(s, r, execution) for r in runs) for s in expected)
        elif key == "firstRun":
            ok = _run_matches(expected, runs[0], execution)
        elif key == "durationAtLeast":
            state = runs[0]["state"]
            took = (
                parse_instant(state["endDate"]) - parse_instant(state["startDate"])
                if "endDate" in state
                else None
            )
            ok = took is not None and took >= parse_duration(expected)
        elif key == "startsAfterExecutionEnd":
            end = execution["state"].get("endDate")
            ok = end is not None and (runs[0]["state"]["startDate"] >= end) == bool(expected)
        else:
            raise Unchecked(f"tasks.*.{key}")
        if not ok:
            actual = (
                {"count": len(runs)}.get(key) if key == "count" else [r["state"]["current"] for r in runs]
            )
            problems.append(f"tasks.{task_id}.{key}: expected {expected!r}, got {actual!r}")
    return problems


def check(expect: dict[str, Any], execution: dict[str, Any], logs: list[LogEntry], outcome: Outcome) -> None:
    runs = execution["taskRunList"]
    labels = {label["key"]: label["value"] for label in execution["labels"]}
    simple: dict[str, Callable[[], Any]] = {
        "state": lambda: execution["state"]["current"],
        "taskRunCount": lambda: len(runs),
        "failedTaskRunCount": lambda: sum(r["state"]["current"] == "FAILED" for r in runs),
        "outputs": lambda: execution["outputs"],
        "labels": lambda: labels,
        "executionInputs": lambda: execution["inputs"],
        "variables": lambda: execution["variables"],
    }
    for key, expected in expect.items():
        try:
            if key in simple:
                actual = simple[key]()
                if not matches(expected, actual):
                    outcome.failures.append(f"{key}: expected {expected!r}, got {actual!r}")
            elif key == "tasks":
                for task_id, spec in expected.items():
                    outcome.failures += _check_task(task_id, spec, execution)
            elif key == "taskRunAt":
                for index, spec in expected.items():
                    position = int(index)
                    if not -len(runs) <= position < len(runs):
                        outcome.failures.append(f"taskRunAt[{index}]: only {len(runs)} task runs")
                        continue
                    wanted = {"taskId": spec} if isinstance(spec, str) else spec
                    if not _run_matches(wanted, runs[position], execution):
                        outcome.failures.append(
                            f"taskRunAt[{index}]: expected {spec!r}, got {runs[position]['taskId']}"
                        )
            elif key == "endsBeforeStart":
                for first, second in expected:
                    a, b = _runs(execution, first), _runs(execution, second)
                    if not a or not b or a[0]["state"].get("endDate", "~") > b[0]["state"]["startDate"]:
                        outcome.failures.append(
                            f"endsBeforeStart: {first} does not end before {second} starts"
                        )
            elif key == "terminatedExcept":
                open_runs = [
                    r["taskId"]
                    for r in runs
                    if r["state"]["current"] not in _TERMINAL and r["taskId"] not in expected
                ]
                if open_runs:
                    outcome.failures.append(f"terminatedExcept: open {open_runs}")
            elif key == "outputsTree":
                tree: dict[str, Any] = {}
                for run in runs:
                    if run["outputs"]:
                        node = tree
                        path = [run["taskId"], *_loop_values(execution, run)]
                        for part in path[:-1]:
                            node = node.setdefault(part, {})
                        node[path[-1]] = run["outputs"]
                if not matches(expected, tree):
                    outcome.failures.append(f"outputsTree: expected {expected!r}, got {tree!r}")
            elif key == "absentTasks":
                present = [t for t in expected if _runs(execution, t)]
                if present:
                    outcome.failures.append(f"absentTasks: {present} have task runs")
            elif key == "allTaskRunsTerminated":
                open_runs = [r["taskId"] for r in runs if r["state"]["current"] not in _TERMINAL]
                if bool(expected) == bool(open_runs):
                    outcome.failures.append(f"allTaskRunsTerminated: open {open_runs}")
            elif key == "logs":
                for spec in expected:
                    found = [
                        e
                        for e in logs
                        if spec.get("taskId") in (None, e.task_id)
                        and ("contains" not in spec or spec["contains"] in e.message)
                        and ("equals" not in spec or spec["equals"] == e.message)
                    ]
                    if ("count" in spec and len(found) != spec["count"]) or (
                        not found and "count" not in spec
                    ):
                        outcome.failures.append(f"logs: {spec!r} matched {len(found)} line(s)")
            else:
                outcome.unchecked.append(key)
        except Unchecked:
            outcome.unchecked.append(key)


_TERMINAL = {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED", "RESUBMITTED"}


# --- running ----------------------------------------------------------------------------------------


def run_case(folder: Path) -> Outcome:
    outcome = Outcome(folder.name)
    case = json.loads((folder / "expected.json").read_text())
    if "scenario" in case:
        outcome.skipped = "scenario"
        return outcome
    if any(isinstance(v, dict) and "$file" in v for v in (case.get("inputs") or {}).values()):
        outcome.skipped = "FILE inputs need the upload API"
        return outcome
    expect = case.get("expect", {})
    labels = [(str(k), str(v)) for k, v in (case.get("labels") or {}).items()]
    try:
        with LocalKite() as kite:
            for path in sorted(folder.glob("*.y*ml")):
                kite.deploy(path.read_text(), path.name)
            try:
                created = kite.start_execution(
                    case["namespace"], case["flowId"], case.get("inputs") or {}, labels
                )
            except REJECTIONS as exc:
                _check_rejection(expect, str(exc), outcome)
                return outcome
            if "rejected" in expect:
                outcome.failures.append("rejected: the execution was created")
                return outcome
            final = kite.wait(created.id, timeout_s=60)
            check(expect, execution_to_json(final), kite.services.executions.logs(final.id), outcome)
    except Exception as exc:  # a crash in Kite is this case's failure, never the runner's
        outcome.failures.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    return outcome


def _check_rejection(expect: dict[str, Any], message: str, outcome: Outcome) -> None:
    rejected = expect.get("rejected")
    if rejected is None:
        outcome.failures.append(f"not rejected expected, got: {message.splitlines()[0][:200]}")
        return
    wanted = [rejected.get("messageContains"), *(rejected.get("messageContainsAll") or [])]
    missing = [w for w in wanted if w and w not in message]
    if rejected.get("messageEquals") and rejected["messageEquals"] != message:
        missing.append(rejected["messageEquals"])
    if missing:
        outcome.failures.append(f"rejected: message {message!r} lacks {missing!r}")


def cases(corpus: Path, subset: str, names: list[str]) -> list[Path]:
    folders = sorted(p for p in (corpus / subset).iterdir() if (p / "expected.json").is_file())
    return [f for f in folders if not names or f.name in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance.run")
    parser.add_argument("--case", action="append", default=[])
    parser.add_argument("--set", default="kestra")
    parser.add_argument("--update-baseline", action="store_true")
    args = parser.parse_args(argv)
    corpus = corpus_dir()
    if not corpus.is_dir():
        print(f"conformance corpus not found at {corpus}: nothing to run")
        return 0
    outcomes = []
    for folder in cases(corpus, args.set, args.case):
        outcome = run_case(folder)
        outcomes.append(outcome)
        print(outcome.line(), flush=True)
    passed = sorted(o.name for o in outcomes if o.passed)
    failed = [o for o in outcomes if not o.passed and not o.skipped]
    print(f"{sum(1 for o in outcomes if o.skipped)} skipped")
    print(f"{len(passed)} passed, {len(failed)} failed")
    if args.update_baseline:
        BASELINE.write_text("".join(f"{name}\n" for name in passed))
    regressions = sorted(set(baseline()) & {o.name for o in failed})
    if regressions:
        print(f"regressions against the baseline: {', '.join(regressions)}")
    return 1 if regressions else 0


def baseline() -> list[str]:
    return BASELINE.read_text().split() if BASELINE.is_file() else []


if __name__ == "__main__":
    sys.exit(main())
