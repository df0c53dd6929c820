"""A case's steps, run in order through Kite's service layer (README "Scenarios").

A single-run case is one `run` step of its flow until TERMINATED. Each step acts on an execution (named by
the alias of the `run` step that started it) or on a flow, then checks its `expect` with checks.py; the
verdicts are named after the step. A step that cannot do what it says (the awaited state never comes, Kite
refuses a command) fails there and ends the scenario, since the steps after it build on it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from msgspec import Struct, field

from engine.creation.uploads import Upload
from engine.model.execution import Execution
from engine.model.serde import execution_to_json, log_to_json
from engine.model.state import StateType
from engine.services.executions import ExecutionService
from infra.embedded.lambda_shapes import http_event
from tests.conformance import checks
from tests.conformance.backends import TIMEOUT_S, Backend, NotTerminatedError
from tests.conformance.checks import AGGREGATE_CHECKS, TERMINAL, CaseContext, Json, Verdict
from tests.conformance.expect import mismatch
from tests.conformance.rejections import rejection_errors, rejection_texts

TERMINATED = "TERMINATED"
# Steps that go through the stack's HTTP API: a backend without one skips their cases.
THROUGH_HTTP = frozenset({"webhook"})
_PUMP_SLICE_S = 0.5


class StepFailed(Exception):
    """The step could not do what it says: `key` names the fact in the outcome, the message the reason."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key = key


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {' | '.join(lines[:8])}" if lines else type(exc).__name__


def single_run(case: Json) -> Json:
    """The step a case without `scenario` stands for: run its flow to the end and check `expect`."""
    return {"run": "main", "until": TERMINATED, "expect": case.get("expect") or {}}


def step_kind(step: Mapping[str, Any]) -> str | None:
    kinds = [kind for kind in STEPS if kind in step]
    return kinds[0] if len(kinds) == 1 else None


def skip_reason(steps: list[Json], *, has_http: bool = True) -> str | None:
    """Why the case cannot run on this Kite, or None."""
    kinds = [step_kind(step) for step in steps]
    if None in kinds:
        return "a scenario step this runner does not know (not checked)"
    if not has_http and THROUGH_HTTP.intersection(k for k in kinds if k):
        return "webhook steps need the stack's HTTP API, which this backend has not (not checked)"
    return None


def split_files(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Raw inputs as the API receives them: values, and `$file` values as uploads (multipart file parts)."""
    values, files = {}, {}
    for name, value in raw.items():
        if isinstance(value, dict) and "$file" in value:
            spec = value["$file"]
            files[name] = Upload(str(spec["name"]), str(spec["content"]).encode())
        else:
            values[name] = value
    return values, files


class Scenario(Struct):
    """`flows`: the case's deployed flows, `namespace.id` → (namespace, id)."""

    case: Json
    backend: Backend
    flows: Mapping[str, tuple[str, str]]
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    prefix: str = ""

    @property
    def executions(self) -> ExecutionService:
        return self.backend.services.executions

    def play(self, steps: list[Json], *, numbered: bool) -> None:
        """`numbered`: name the verdicts after their step (a single-run case's keep their bare names)."""
        for number, step in enumerate(steps, 1):
            kind = step_kind(step)
            assert kind in STEPS, "skip_reason() lets no other step through"
            self.prefix = f"step {number} ({kind} {step[kind]}) " if numbered else ""
            handler, keys = STEPS[kind]
            unknown = sorted(set(step) - keys - {kind})
            if unknown:
                self.record("step", checks.not_checked(f"the runner does not know the step keys {unknown}"))
            try:
                handler(self, step)
            except StepFailed as exc:
                self.record(exc.key, checks.fail(str(exc)))
                return

    def record(self, key: str, verdict: Verdict) -> None:
        self.verdicts[self.prefix + key] = verdict

    # --- steps ----------------------------------------------------------------------------------------

    def run(self, step: Json) -> None:
        own = f"{self.case['namespace']}.{self.case['flowId']}"
        flow = step.get("flow", own)
        if flow not in self.flows:
            raise StepFailed("flow", f"{flow} is not one of the case's flows {sorted(self.flows)}")
        namespace, flow_id = self.flows[flow]
        # The case's inputs and labels are those of its own flow's executions, unless the step says.
        inputs = step.get("inputs", self.case.get("inputs") if flow == own else None) or {}
        labels = step.get("labels", self.case.get("labels") if flow == own else None) or {}
        expect = step.get("expect") or {}
        try:
            created = self.backend.create(
                namespace, flow_id, *split_files(inputs), [(str(k), str(v)) for k, v in labels.items()]
            )
        except rejection_errors() as exc:
            if "rejected" not in expect:
                raise StepFailed("create", f"rejected: {first_line(exc)}") from exc
            self.record("rejected", checks.rejection_verdict(expect["rejected"], *rejection_texts(exc)))
            return
        self.aliases[step["run"]] = created.id
        self._await(created.id, step.get("until", TERMINATED), expect)

    def await_(self, step: Json) -> None:
        self._await(self._id(step["await"]), step.get("until", TERMINATED), step.get("expect") or {})

    def check(self, step: Json) -> None:
        self._check(self._id(step["check"]), step.get("expect") or {})

    def resume(self, step: Json) -> None:
        execution_id = self._id(step["resume"])
        wanted = step.get("expectRejected")
        try:
            self.backend.resume(execution_id, *split_files(step.get("inputs") or {}))
        except rejection_errors() as exc:
            if wanted is None:
                raise StepFailed("resume", f"refused: {first_line(exc)}") from exc
            self.record("expectRejected", checks.rejection_verdict(wanted, *rejection_texts(exc)))
        else:
            if wanted is not None:
                self.record("expectRejected", checks.fail("the resume was accepted"))
        self._check(execution_id, step.get("expect") or {})

    def kill(self, step: Json) -> None:
        execution_id = self._id(step["kill"])
        try:
            self.backend.kill(execution_id)
        except rejection_errors() as exc:
            raise StepFailed("kill", f"refused: {first_line(exc)}") from exc
        self._check(execution_id, step.get("expect") or {})

    def restart(self, step: Json) -> None:
        """Kestra's restart answers with the restarted execution; Kite's is applied by the dispatcher, so the
        step waits for it (one more RESTARTED in the history) and checks the first stored version after."""
        execution_id = self._id(step["restart"])
        expect = step.get("expect") or {}
        before = self._restarts(execution_id)
        try:
            self.backend.restart(execution_id)
        except rejection_errors() as exc:
            raise StepFailed("restart", f"refused: {first_line(exc)}") from exc
        self._wait(execution_id, lambda: self._restarts(execution_id) > before, "restarted", expect)
        self._check(execution_id, expect)

    def sleep(self, step: Json) -> None:
        try:
            self.backend.advance(timedelta(seconds=float(step["sleep"])))
        except NotTerminatedError as exc:
            raise StepFailed("sleep", str(exc)) from exc

    def await_flow(self, step: Json) -> None:
        """Without `count`, `expect` holds for the first execution of the flow reaching `until`; with it, for
        the first `count` terminated ones together (AGGREGATE_CHECKS)."""
        flow, expect = step["awaitFlow"], step.get("expect") or {}
        if "count" not in step:
            until = step.get("until", TERMINATED)
            found = self._wait_flow(
                flow, f"until {until}", lambda es: [e for e in es if self._reached(e, until)]
            )
            self._check(found[0].id, expect)
            return
        count = int(step["count"])

        def ended(found: list[Execution]) -> list[Execution]:
            done = [e for e in found if self.executions.fully_terminated(e)]
            return done[:count] if len(done) >= count else []

        aggregated = [execution_to_json(e) for e in self._wait_flow(flow, f"{count} terminated", ended)]
        verdicts = checks.check_all(expect, self._context(), {}, [], aggregated, AGGREGATE_CHECKS)
        for key, verdict in verdicts.items():
            self.record(key, verdict)

    def webhook(self, step: Json) -> None:
        """Call the case's flow's webhook through the HTTP API function, pumping while it answers (a `wait`
        holds the call until the execution ends); check the answer, then the execution it created."""
        http = self.backend.http()
        assert http is not None, "skip_reason() keeps webhook steps from backends without HTTP"
        namespace, flow_id = self.case["namespace"], self.case["flowId"]
        path = f"/api/v1/main/executions/webhook/{namespace}/{flow_id}/{step['key']}"
        query = urlencode(
            [(name, value) for name, values in (step.get("query") or {}).items() for value in values]
        )
        headers, body = {}, b""
        if "body" in step:
            headers, body = {"content-type": "application/json"}, json.dumps(step["body"]).encode()
        elif "rawBody" in step:
            headers, body = {"content-type": "text/plain"}, str(step["rawBody"]).encode()
        event = http_event(str(step["method"]), path, query=query, headers=headers, body=body)
        before = {e.id for e in self.backend.executions()}
        with ThreadPoolExecutor(max_workers=1) as pool:
            answer = pool.submit(http, event)
            deadline = time.monotonic() + TIMEOUT_S
            while not answer.done():
                if time.monotonic() > deadline:
                    raise StepFailed("webhook", f"no answer within {TIMEOUT_S} s")
                try:
                    self.backend.wait_until(answer.done, _PUMP_SLICE_S)
                except NotTerminatedError:
                    # Nothing to deliver yet: the call is still creating its execution.
                    time.sleep(_PUMP_SLICE_S / 10)
            response = answer.result()
        if "expectResponse" in step:
            self.record("expectResponse", _response_verdict(step["expectResponse"], response))
        created = [e for e in self.backend.executions() if e.id not in before]
        if "expect" not in step:
            return
        if not created:
            raise StepFailed("expect", f"the call created no execution (HTTP {response.get('statusCode')})")
        self.aliases[step["webhook"]] = created[0].id
        self.aliases.setdefault("main", created[0].id)
        self._await(created[0].id, TERMINATED, step["expect"])

    def evaluate_schedule(self, step: Json) -> None:
        """The execution the flow's Schedule trigger starts for `date`: a backfill of that one date (the
        scheduler is off during a case), awaited to its end."""
        namespace, flow_id = self.flows[f"{self.case['namespace']}.{self.case['flowId']}"]
        date = datetime.fromisoformat(str(step["date"]))
        try:
            self.backend.services.schedules.backfill(
                namespace, flow_id, step["triggerId"], start=date, end=date
            )
        except (LookupError, ValueError) as exc:
            raise StepFailed("evaluateSchedule", f"refused: {first_line(exc)}") from exc

        def started() -> list[Execution]:
            return [
                e
                for e in self._of_flow(f"{namespace}.{flow_id}")
                if e.trigger and e.trigger.get("id") == step["triggerId"]
            ]

        try:
            self.backend.wait_until(lambda: bool(started()), TIMEOUT_S)
        except NotTerminatedError as exc:
            raise StepFailed("evaluateSchedule", f"no execution was started: {exc}") from exc
        self.aliases[step["evaluateSchedule"]] = started()[0].id
        self._await(started()[0].id, TERMINATED, step.get("expect") or {})

    def expect_no_execution(self, step: Json) -> None:
        found = [e.state.current.value for e in self._of_flow(step["expectNoExecution"])]
        self.record("expectNoExecution", checks.fail(f"executions in {found}") if found else checks.PASSED)

    # --- helpers --------------------------------------------------------------------------------------

    def _id(self, alias: str) -> str:
        if alias not in self.aliases:
            raise StepFailed("alias", f"no execution was started as {alias!r}")
        return self.aliases[alias]

    def _await(self, execution_id: str, until: str, expect: Json) -> None:
        def reached() -> bool:
            return self._reached(self.executions.get(execution_id), until)

        self._wait(execution_id, reached, f"until {until}", expect)
        if until == TERMINATED or until in TERMINAL:
            self._settle(expect)
        self._check(execution_id, expect)

    def _reached(self, execution: Execution, until: str) -> bool:
        """In state `until` (TERMINATED: any terminal state), with the afterExecution tasks of a terminal one
        done as well."""
        state = execution.state.current
        if state.terminated:
            return until in (TERMINATED, state.value) and self.executions.fully_terminated(execution)
        return state.value == until

    def _wait(self, execution_id: str, condition: Callable[[], bool], key: str, expect: Json) -> None:
        """Wait for `condition`; when it never comes, check `expect` on what there is and fail the step."""
        try:
            self.backend.wait_until(condition, TIMEOUT_S)
        except NotTerminatedError as exc:
            state = self.executions.get(execution_id).state.current.value
            self._check(execution_id, expect)
            raise StepFailed(key, f"still {state}: {exc}") from exc

    def _settle(self, expect: Json) -> None:
        """Facts about other executions: let children and re-created executions finish too, and wait for the
        states `flowExecutions.*.awaitState` names."""
        if "childExecutions" not in expect and "flowExecutions" not in expect:
            return
        awaited = {
            flow: spec["awaitState"]
            for flow, spec in (expect.get("flowExecutions") or {}).items()
            if "awaitState" in spec
        }

        def settled() -> bool:
            if self.backend.ready():
                return False
            everything = self.backend.executions()
            if not all(self.executions.fully_terminated(e) for e in everything):
                return False
            states = {(f"{e.namespace}.{e.flow_id}", e.state.current.value) for e in everything}
            return all((flow, state) in states for flow, state in awaited.items())

        try:
            self.backend.wait_until(settled, TIMEOUT_S)
        except NotTerminatedError as exc:
            self.record("settled", checks.fail(f"other executions did not settle: {exc}"))

    def _check(self, execution_id: str, expect: Json) -> None:
        if not expect:
            return
        executions = {e.id: execution_to_json(e) for e in self.backend.executions()}
        context = self._context()
        verdicts = checks.check_all(
            expect,
            context,
            executions[execution_id],
            context.logs_of(execution_id),
            list(executions.values()),
        )
        for key, verdict in verdicts.items():
            self.record(key, verdict)

    def _context(self) -> CaseContext:
        def logs_of(execution_id: str) -> list[Json]:
            return [log_to_json(entry) for entry in self.backend.logs(execution_id)]

        return CaseContext(self.aliases.get("main"), logs_of, self.aliases)

    def _of_flow(self, flow: str) -> list[Execution]:
        """The executions of `flow` (`namespace.id`), oldest first."""
        return [e for e in self.backend.executions() if f"{e.namespace}.{e.flow_id}" == flow]

    def _wait_flow(
        self, flow: str, key: str, pick: Callable[[list[Execution]], list[Execution]]
    ) -> list[Execution]:
        """Wait until `pick` finds some of the executions of `flow`; what it finds then."""
        try:
            self.backend.wait_until(lambda: bool(pick(self._of_flow(flow))), TIMEOUT_S)
        except NotTerminatedError as exc:
            states = [e.state.current.value for e in self._of_flow(flow)]
            raise StepFailed(key, f"executions of {flow}: {states}: {exc}") from exc
        return pick(self._of_flow(flow))

    def _restarts(self, execution_id: str) -> int:
        histories = self.executions.get(execution_id).state.histories
        return sum(h.state is StateType.RESTARTED for h in histories)


# Each step: what runs it, and the keys it may have besides its own (any other is reported not checked).
STEPS: dict[str, tuple[Callable[[Scenario, Json], None], frozenset[str]]] = {
    "run": (Scenario.run, frozenset({"flow", "inputs", "labels", "until", "expect"})),
    "await": (Scenario.await_, frozenset({"until", "expect"})),
    "check": (Scenario.check, frozenset({"expect"})),
    "resume": (Scenario.resume, frozenset({"inputs", "expectRejected", "expect"})),
    "kill": (Scenario.kill, frozenset({"expect"})),
    "restart": (Scenario.restart, frozenset({"expect"})),
    "sleep": (Scenario.sleep, frozenset()),
    "awaitFlow": (Scenario.await_flow, frozenset({"until", "count", "expect"})),
    "expectNoExecution": (Scenario.expect_no_execution, frozenset()),
    "evaluateSchedule": (Scenario.evaluate_schedule, frozenset({"triggerId", "date", "expect"})),
    "webhook": (
        Scenario.webhook,
        frozenset({"key", "method", "query", "body", "rawBody", "expect", "expectResponse"}),
    ),
}


def _response_verdict(expected: Json, response: Json) -> Verdict:
    """`status`, `json` (a subset of the body), `text` (the exact body), `contentType`, `emptyBody`."""
    text = str(response.get("body") or "")
    if response.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    headers = {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}
    reasons = []
    for key, wanted in expected.items():
        if key == "status":
            reason = mismatch(wanted, response.get("statusCode"))
        elif key == "json":
            try:
                reason = mismatch(wanted, json.loads(text))
            except ValueError:
                reason = f"the body is not JSON: {text[:200]!r}"
        elif key == "text":
            reason = None if text == wanted else f"body {text[:200]!r}"
        elif key == "contentType":
            reason = mismatch(wanted, headers.get("content-type", "").split(";")[0].strip())
        elif key == "emptyBody":
            reason = None if (text == "") == bool(wanted) else f"body {text[:200]!r}"
        else:
            return checks.not_checked(f"the runner does not know expectResponse.{key}")
        if reason:
            reasons.append(f"{key}: {reason}")
    return checks.fail("; ".join(reasons)) if reasons else checks.PASSED
