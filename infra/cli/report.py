"""What `kite run` prints after the execution: outputs, failed tasks' logs, and the AWS bill."""

from __future__ import annotations

import json
from typing import TextIO

from engine.model.execution import Execution
from engine.model.logs import LogEntry
from engine.model.state import StateType
from infra.aws.cost import PER_MILLION, STEP_FUNCTIONS_TRANSITION, LambdaUsage, billed, cost_of
from infra.aws.session import StatsSnapshot
from infra.cli.log_tail import log_line
from infra.cli.text import printable


def print_summary(execution: Execution, logs: list[LogEntry], out: TextIO) -> None:
    """Outputs and the failed tasks' log lines (`kite run --logs` showed every line as it came)."""
    outputs = {
        r.task_id if r.value is None else f"{r.task_id}[{printable(r.value)}]": r.outputs
        for r in execution.task_runs
        if r.outputs
    }
    if outputs:
        print("\nOutputs:", file=out)
        for name, value in outputs.items():
            print(f"  {name}: {json.dumps(value, default=str)}", file=out)
    if execution.outputs:
        print(f"Flow outputs: {json.dumps(execution.outputs, default=str)}", file=out)
    failed = {r.id for r in execution.task_runs if r.state.current in (StateType.FAILED, StateType.KILLED)}
    failed_logs = [
        entry
        for entry in logs
        if entry.task_run_id in failed or (entry.task_run_id is None and entry.level == "ERROR")
    ]
    if failed_logs:
        print("\nLogs of failed tasks:", file=out)
        for entry in failed_logs:
            print(log_line(entry), file=out)
    print(f"\n{execution.state.current.value}", file=out)


def print_stats(stats: StatsSnapshot, execution: Execution, out: TextIO, lambda_invocations: int = 0) -> None:
    runs = max(len(execution.task_runs), 1)
    print(f"\nAWS requests ({stats.total_calls} for {runs} task runs):", file=out)
    for (service, operation), count in sorted(stats.calls.items()):
        note = "" if billed(service, operation) else "  (not billed per request)"
        print(f"  {service}.{operation}: {count}  ({count / runs:.2f} per task run){note}", file=out)
    print(
        f"  DynamoDB capacity: {stats.read_units:.1f} RCU, {stats.write_units:.1f} WCU"
        f"  ({stats.read_units / runs:.2f} / {stats.write_units / runs:.2f} per task run)",
        file=out,
    )
    cost = cost_of(stats, LambdaUsage(lambda_invocations))
    per_million = cost.total / runs * PER_MILLION
    parts = ", ".join(
        f"{name} ${dollars / runs * PER_MILLION:.2f}" for name, dollars in cost.by_service().items()
    )
    print(
        f"  Estimated: ${per_million:.2f} per million task runs ({parts}); Step Functions: "
        f"${STEP_FUNCTIONS_TRANSITION * PER_MILLION:.2f} per million transitions",
        file=out,
    )
