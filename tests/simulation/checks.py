"""One seed: a flow run fault-free and under faults, and what must hold between the two."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from msgspec import Struct

from engine.model.execution import Execution
from tests.simulation.corpus import Case, examples, random_case
from tests.simulation.harness import Faults, Report, Simulation, StuckError, others_outcome, outcome

# Half the seeds run every task on workers, half let the dispatcher run the cheap ones itself.
INLINE_BUDGETS = (0, 500)
# How faulty a faulty run is: each fault's chance (see Faults.everything).
LEVEL = 0.3


class Verdict(Struct, frozen=True):
    seed: int
    case: str
    report: Report | None
    failure: str | None

    @property
    def ok(self) -> bool:
        return self.failure is None


def case_for(seed: int) -> Case:
    """Mostly random flows; every tenth seed one of the examples."""
    if seed % 10 == 9:
        cases = examples()
        return cases[(seed // 10) % len(cases)]
    return random_case(seed)


def check_seed(seed: int, level: float = LEVEL) -> Verdict:
    case = case_for(seed)
    budget = INLINE_BUDGETS[seed % len(INLINE_BUDGETS)]
    reference = Simulation(seed, Faults(), inline_budget=budget).run(
        case.flows, case.namespace, case.flow_id, case.inputs
    )
    try:
        report = Simulation(seed, Faults.everything(level), inline_budget=budget).run(
            case.flows, case.namespace, case.flow_id, case.inputs
        )
    except StuckError as stuck:
        return Verdict(seed, case.name, None, str(stuck))
    broken = schedule_broken(report.scheduled)
    if broken is not None:
        return Verdict(seed, case.name, report, f"{case.name}, {report.describe()}: {broken}")
    expected, got = outcome(reference.execution), outcome(report.execution)
    expected_others, got_others = others_outcome(reference.others), others_outcome(report.others)
    if got == expected and got_others != expected_others:
        lines = [f"{case.name}, {report.describe()}: the other executions differ from the fault-free run"]
        lines += [f"  expected {expected_others}", f"       got {got_others}"]
        return Verdict(seed, case.name, report, "\n".join(lines))
    if got != expected:
        lines = [f"{case.name}, {report.describe()}: the outcome differs from the fault-free run"]
        lines.append(f"  state: expected {expected[0]}, got {got[0]}")
        lines += [
            f"  expected {e}\n       got {g}" for e, g in zip(expected[2], got[2], strict=False) if e != g
        ]
        if len(expected[2]) != len(got[2]):
            lines.append(f"  {len(expected[2])} task runs expected, {len(got[2])} found")
        return Verdict(seed, case.name, report, "\n".join(lines))
    return Verdict(seed, case.name, report, None)


def schedule_broken(executions: list[Execution]) -> str | None:
    """What is wrong with a schedule's executions under faults: a date started twice, a date skipped (its
    trigger recovers ALL), an execution that did not succeed (its KV write ran twice, say)."""
    dates = sorted(datetime.fromisoformat(str((e.trigger or {})["variables"]["date"])) for e in executions)
    if len(set(dates)) != len(dates):
        return f"a schedule date started twice: {[d.isoformat() for d in dates]}"
    gaps = [b for a, b in itertools.pairwise(dates) if b - a != timedelta(minutes=1)]
    if gaps:
        return f"schedule dates skipped before {[d.isoformat() for d in gaps]}"
    failed = [(e.id, e.state.current.value) for e in executions if e.state.current.value != "SUCCESS"]
    return f"scheduled executions did not succeed: {failed}" if failed else None
