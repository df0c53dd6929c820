"""Deterministic simulation of the pipeline under faults (design §4).

One run is one flow on the embedded stack — the real handlers, adapters and moto, on the virtual clock —
driven by a seeded scheduler instead of the pump's round robin. The scheduler picks which queue delivers
next and how many messages, and injects faults:

* a function dies just before or just after one of its AWS calls, and may lose its warm caches;
* a batch is delivered twice;
* a message sent to a standard queue arrives late (a late timer, a late task);
* at an AWS call, another delivery runs to its end first (two dispatchers racing on one execution);
* a failed batch comes back after a random part of its visibility timeout.

Everything random comes from the seed (ids included), so a failing seed replays exactly.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from msgspec import Struct, field

from engine.flow.schedule import SCHEDULE_TYPES
from engine.memory.ids import RandomIds
from engine.model.execution import Execution
from infra.embedded.clock import VirtualClock
from infra.embedded.local import LocalKite
from infra.embedded.pump import PAST_DUE, Handler, Pump, Source

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
# A late message is at most this late: well under the shortest timer the corpus relies on.
MAX_LATE_S = 90
# Deliveries a run may make before it counts as stuck.
MAX_DELIVERIES = 3_000


class SimulatedCrash(BaseException):
    """The function dies here. A BaseException, so that no `except Exception` in the code under test can
    mistake it for an error it handles."""


class StuckError(AssertionError):
    """The execution did not end: nothing left to deliver, or too many deliveries."""


class Faults(Struct, frozen=True):
    crash: float = 0.0  # per invocation: the function dies just before or just after one of its calls
    duplicate: float = 0.0  # per delivered batch: it is delivered twice
    late: float = 0.0  # per message sent to a standard queue: it arrives up to MAX_LATE_S late
    race: float = 0.0  # per AWS call of a function: another delivery runs to its end first
    cold: float = 0.5  # per crash: the functions' warm caches are lost too
    # Functions whose calls may crash. A worker never crashes between its claim and the send of its result
    # or the commit of its own step: the task ran or is running, so its attempt is lost, which no fault-free
    # run shows.
    crashing: tuple[str, ...] = ("DispatcherFunction", "WorkerFunction")

    @staticmethod
    def everything(level: float) -> Faults:
        return Faults(crash=level, duplicate=level, late=level, race=level / 10)


class Report(Struct):
    seed: int
    execution: Execution
    injected: Counter[str] = field(default_factory=Counter)
    deliveries: int = 0
    others: list[Execution] = field(default_factory=list)  # what the execution started, directly or not
    scheduled: list[Execution] = field(default_factory=list)  # what Schedule triggers started meanwhile

    def describe(self) -> str:
        faults = ", ".join(f"{name} {count}" for name, count in sorted(self.injected.items())) or "none"
        return f"seed {self.seed}: {self.deliveries} deliveries, faults: {faults}"


class Simulation:
    def __init__(self, seed: int, faults: Faults, *, inline_budget: int = 500) -> None:
        self.seed = seed
        self.faults = faults
        self.rng = random.Random(seed)
        self.inline_budget = inline_budget
        self.injected: Counter[str] = Counter()
        self._active: list[str] = []  # the functions running, innermost last
        self._crash_at: list[int | None] = []  # per running function: the call it dies at
        # Per running function: the call in progress when it matters ("claiming", "sending", "committing"),
        # and how many attempts it claimed whose results it has not yet sent or committed.
        self._phase: list[str] = []
        self._unreported: list[int] = []
        self._reporting: list[int] = []  # results in the send in progress
        self._kite: LocalKite | None = None
        self._pump: Pump | None = None
        self._max_receives: dict[str, int] = {}  # queue ARN → its redrive policy's maxReceiveCount

    # --- running ----------------------------------------------------------------------------------

    def run(
        self,
        flows: list[str],
        namespace: str,
        flow_id: str,
        inputs: Mapping[str, Any] | None = None,
    ) -> Report:
        wrap = {name: self._wrapper(name) for name in ("DispatcherFunction", "WorkerFunction")}
        kite = LocalKite(
            start=START,
            inline_budget=self.inline_budget,
            wrap=wrap,
            ids=RandomIds(random.Random(self.seed)),
            tick=False,
        )
        with kite:
            self._kite, self._pump = kite, kite.pump
            self._hook(kite)
            for source in flows:
                kite.deploy(source)
            execution = kite.start_execution(namespace, flow_id, inputs)
            deliveries = self._drive(kite, execution.id)
            deliveries += self._settle(kite, MAX_DELIVERIES - deliveries)
            final = kite.services.executions.get(execution.id)
            with self._quiet(kite):
                others = [
                    kite.services.executions.get(e.id)
                    for e in kite.services.store.search()
                    if e.id != execution.id
                ]
        scheduled = [e for e in others if (e.trigger or {}).get("type") in SCHEDULE_TYPES]
        others = [e for e in others if e not in scheduled]
        return Report(self.seed, final, self.injected, deliveries, others, scheduled)

    def _drive(self, kite: LocalKite, execution_id: str) -> int:
        executions = kite.services.executions

        def over() -> bool:
            return executions.fully_terminated(executions.get(execution_id))

        return self._deliver_until(kite, over, MAX_DELIVERIES, "the execution")

    def _settle(self, kite: LocalKite, budget: int) -> int:
        """After the execution: what it started (children, executions a Flow trigger started) runs to its end
        too, until nothing is left to deliver. Schedules stop firing first: they never run out."""
        with self._quiet(kite):
            for flow in kite.services.flows.repository.list():
                graph = kite.services.catalog.graph(flow.namespace, flow.id, flow.revision)
                for trigger in graph.flow.triggers or ():
                    if trigger.type in SCHEDULE_TYPES:
                        kite.services.trigger_states.set_disabled(flow.namespace, flow.id, trigger.id, True)
        return self._deliver_until(kite, None, budget, "other executions")

    def _deliver_until(self, kite: LocalKite, over: Callable[[], bool] | None, budget: int, what: str) -> int:
        """Deliver until `over()` holds, or, without `over`, until nothing is left to deliver; the number of
        rounds it took."""
        pump = kite.pump
        assert pump is not None and isinstance(kite.clock, VirtualClock)
        for deliveries in range(budget):
            if over is not None:
                with self._quiet(kite):
                    if over():
                        return deliveries
            if self._deliver_one(pump):
                continue
            due = pump.next_due()
            if over is None and pump.idle():
                return deliveries  # recurring schedules left alone: they never run out
            if due is None:
                if over is None:
                    return deliveries
                raise StuckError(f"seed {self.seed}: nothing left to deliver, {what} is not over")
            kite.clock.advance_to(due + PAST_DUE)
        raise StuckError(f"seed {self.seed}: {what} still running after {MAX_DELIVERIES} deliveries")

    def _deliver_one(self, pump: Pump) -> bool:
        """One scheduling decision; False when nothing could be delivered now. A visible FIFO message may
        not be receivable (its group has one in flight), so every ready source is tried in random order."""
        if pump.fire_due():
            return True
        ready = [source for source in pump.sources if pump.visible(source)]
        self.rng.shuffle(ready)
        for source in ready:
            batch = self.rng.randint(1, source.batch_size)
            retry_after = self.rng.choice([0, 5, 60, _visibility_s(source)])
            if pump.deliver(source, batch, retry_after_s=retry_after):
                return True
        return False

    # --- the functions under faults ---------------------------------------------------------------

    def _wrapper(self, name: str) -> Callable[[Handler], Handler]:
        def wrap(handler: Handler) -> Handler:
            def deliver(event: dict[str, Any], context: Any) -> Any:
                twice = bool(self.faults.duplicate) and self.rng.random() < self.faults.duplicate
                if twice:
                    self.injected["duplicate"] += 1
                    self._invoke(name, handler, copy.deepcopy(event), context)
                return self._invoke(name, handler, event, context)

            return deliver

        return wrap

    def _invoke(self, name: str, handler: Handler, event: dict[str, Any], context: Any) -> Any:
        self._active.append(name)
        crashes = name in self.faults.crashing and self.rng.random() < self.faults.crash
        # Crashes are passing faults: one on a message's last receive would send it to its dead-letter
        # queue, a poison message, which fails its execution by design (tests/functional/test_dead_letters.py)
        # and which no fault-free run can agree with.
        crashes = crashes and not self._last_receive(event)
        # Which of its calls, counting "before" and "after" each one; past its last call it does not crash.
        self._crash_at.append(self.rng.randrange(40) if crashes else None)
        self._phase.append("")
        self._unreported.append(0)
        self._reporting.append(0)
        try:
            return handler(event, context)
        except SimulatedCrash:
            if self.rng.random() < self.faults.cold:
                self.injected["cold start"] += 1
                assert self._kite is not None
                self._kite.cold_start()
            # Lambda saw the invocation fail: the event source mapping retries the whole batch.
            raise RuntimeError(f"{name} crashed") from None
        finally:
            self._active.pop()
            self._crash_at.pop()
            self._phase.pop()
            self._unreported.pop()
            self._reporting.pop()

    def _last_receive(self, event: dict[str, Any]) -> bool:
        return any(
            int(record["attributes"]["ApproximateReceiveCount"])
            >= self._max_receives.get(record["eventSourceARN"], 0)
            for record in event.get("Records") or ()
        )

    def _hook(self, kite: LocalKite) -> None:
        assert kite.stack is not None
        self._max_receives = {
            kite.stack.queue_arn(queue.logical_id): queue.max_receive_count
            for queue in kite.stack.template.queues
            if queue.max_receive_count is not None
        }
        session = kite.stack.session
        for client in (session.dynamodb, session.sqs, session.s3, session.scheduler, session.secretsmanager):
            client.meta.events.register("before-call", self._before_call)
            client.meta.events.register("after-call", self._after_call)
        for operation in ("SendMessage", "SendMessageBatch"):
            session.sqs.meta.events.register(f"before-parameter-build.sqs.{operation}", self._lateness)
            session.sqs.meta.events.register(f"before-parameter-build.sqs.{operation}", self._watch_send)
        session.dynamodb.meta.events.register("before-parameter-build.dynamodb.PutItem", self._watch_claim)
        for operation in ("PutItem", "TransactWriteItems"):
            session.dynamodb.meta.events.register(
                f"before-parameter-build.dynamodb.{operation}", self._watch_commit
            )

    def _watch_claim(self, params: dict[str, Any], **_: Any) -> None:
        """A worker's claim is about to be made: from its write on, the attempt cannot run again."""
        if self._active and str(params.get("Item", {}).get("pk", {}).get("S", "")).endswith("#CLAIMS"):
            self._phase[-1] = "claiming"

    def _watch_commit(self, params: dict[str, Any], **_: Any) -> None:
        """A claimed worker commits its own step: once it has, it may die again."""
        items = [params.get("Item", {})] + [
            entry.get("Put", {}).get("Item", {}) for entry in params.get("TransactItems", [])
        ]
        journal = any(str(item.get("sk", {}).get("S", "")).startswith("V#") for item in items)
        if self._active and self._unreported[-1] and journal:
            self._phase[-1] = "committing"

    def _watch_send(self, params: dict[str, Any], **_: Any) -> None:
        """A claimed worker sends results to the dispatch queue: once sent, their attempts are safe."""
        if (
            not self._active
            or not self._unreported[-1]
            or not str(params.get("QueueUrl", "")).endswith(".fifo")
        ):
            return
        bodies = [str(entry.get("MessageBody", "")) for entry in params.get("Entries") or [params]]
        self._phase[-1] = "sending"
        self._reporting[-1] = sum('"WorkerResult"' in body or '"$ref"' in body for body in bodies)

    def _lateness(self, params: dict[str, Any], **_: Any) -> None:
        """Some messages to standard queues arrive late; FIFO queues take no per-message delay."""
        if not self._active or not self.faults.late or str(params.get("QueueUrl", "")).endswith(".fifo"):
            return
        for entry in params.get("Entries") or [params]:
            if self.rng.random() < self.faults.late:
                self.injected["late"] += 1
                entry["DelaySeconds"] = min(
                    900, int(entry.get("DelaySeconds", 0)) + self.rng.randint(1, MAX_LATE_S)
                )

    def _before_call(self, **_: Any) -> None:
        if not self._active:
            return
        if len(self._active) == 1 and self.faults.race and self.rng.random() < self.faults.race:
            assert self._pump is not None
            ready = [source for source in self._pump.sources if self._pump.visible(source)]
            if ready:
                self.injected["race"] += 1
                self._pump.deliver(self.rng.choice(ready), 1)
        self._tick("crash before a call")

    def _after_call(self, parsed: Any = None, **_: Any) -> None:
        if not self._active:
            return
        phase, self._phase[-1] = self._phase[-1], ""
        done = not (isinstance(parsed, dict) and "Error" in parsed)
        if phase == "claiming" and done:
            # Claimed: from here to its result, the attempt cannot be repeated.
            self._unreported[-1] += 1
        elif phase == "committing" and done:
            self._unreported[-1] -= 1  # the worker's own step applied its result
        elif phase == "sending" and done:
            self._unreported[-1] = max(0, self._unreported[-1] - self._reporting[-1])
        self._tick("crash after a call")

    def _tick(self, kind: str) -> None:
        """One more call boundary of the innermost function: it dies here if this is its appointed one."""
        crash_at = self._crash_at[-1]
        if crash_at is None or self._unreported[-1] or self._phase[-1] in ("sending", "committing"):
            return
        if crash_at == 0:
            self._crash_at[-1] = None
            self.injected[kind] += 1
            raise SimulatedCrash(kind)
        self._crash_at[-1] = crash_at - 1

    @contextmanager
    def _quiet(self, kite: LocalKite) -> Iterator[None]:
        """The observer's own reads are neither faulted nor counted."""
        assert kite.stack is not None
        with kite.stack.stats.paused():
            yield


def _visibility_s(source: Source) -> int:
    # The dispatch and timer queues' VisibilityTimeout in template.yaml; a worker's is longer, but its
    # redelivery is what the LOST timer already covers.
    return 360 if source.function.logical_id == "DispatcherFunction" else 60


def outcome(execution: Execution) -> tuple[Any, ...]:
    """What a run must agree on with the fault-free run: states, attempts and outputs, not ids or dates."""
    return (
        execution.state.current.value,
        execution.outputs,
        # Sorted by what a run is, not by when it was created: concurrent branches may start in any order.
        tuple(
            sorted(
                (
                    run.task_id,
                    run.value or "",
                    run.state.current.value,
                    len(run.attempts),
                    repr(_plain(run.outputs)),
                )
                for run in execution.task_runs
            )
        ),
    )


def _plain(outputs: Mapping[str, Any]) -> Any:
    """Outputs without the ids that differ from run to run (a subflow's child execution id)."""
    return {key: value for key, value in outputs.items() if key != "executionId"}


def others_outcome(executions: list[Execution]) -> tuple[Any, ...]:
    """The other executions, as a fault-free run and a faulty one must agree on them: which flow, which
    state, and for one a Flow trigger started, the state of the execution that triggered it."""
    return tuple(
        sorted(
            (
                execution.flow_id,
                execution.state.current.value,
                str((execution.trigger or {}).get("variables", {}).get("state", "")),
            )
            for execution in executions
        )
    )
