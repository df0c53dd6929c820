"""Cost and throughput of Kite on the embedded stack (design §8: under $2 per million task runs, flat).

    python -m bench.cost [--sizes 100,1000,10000] [--workers]

For each flow: task runs per second (moto in-process, so this measures the engine plus moto, not AWS),
AWS requests and DynamoDB capacity units per task run, and the estimated dollars per million task runs
at AWS list prices. Lambda time is an assumption (see infra/aws/cost.py), invocations are counted.
"""

from __future__ import annotations

import argparse
import time

from infra.aws.cost import PER_MILLION, LambdaUsage, cost_of
from infra.embedded.local import LocalKite

LOG = "io.kestra.plugin.core.log.Log"


def sequential(n: int) -> str:
    tasks = "".join(f"  - id: t{i}\n    type: {LOG}\n    message: step {i}\n" for i in range(n))
    return f"id: sequential{n}\nnamespace: bench\ntasks:\n{tasks}"


def foreach(n: int) -> str:
    return (
        f"id: foreach{n}\nnamespace: bench\ntasks:\n"
        f"  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n"
        f'    values: "{{{{ range(1, {n}) }}}}"\n    concurrencyLimit: 0\n    tasks:\n'
        "      - id: item\n        type: io.kestra.plugin.core.debug.Return\n"
        '        format: "{{ taskrun.value }}"\n'
    )


def measure(name: str, source: str, flow_id: str, inline_budget: int) -> None:
    with LocalKite(inline_budget=inline_budget) as kite:
        kite.deploy(source)
        assert kite.stack is not None
        kite.stack.stats.reset()
        kite.invocations = 0
        started = time.perf_counter()
        execution = kite.run("bench", flow_id, timeout_s=3600)
        took = time.perf_counter() - started
        stats = kite.stack.stats.snapshot()
        invocations = kite.invocations
    runs = len(execution.task_runs)
    cost = cost_of(stats, LambdaUsage(invocations))
    print(
        f"{name:<28} {execution.state.current.value:<8} {runs:>6} task runs  {runs / took:8.1f} runs/s  "
        f"{stats.total_calls / runs:6.2f} req/run  {stats.read_units / runs:6.2f} RCU/run  "
        f"{stats.write_units / runs:6.2f} WCU/run  {invocations / runs:5.2f} λ/run  "
        f"${cost.total / runs * PER_MILLION:7.2f} per million task runs",
        flush=True,
    )
    parts = "  ".join(
        f"{name} ${dollars / runs * PER_MILLION:.2f}" for name, dollars in cost.by_service().items()
    )
    print(f"{'':<28} by service, per million task runs: {parts}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--workers", action="store_true", help="also run with every task sent to workers")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    budgets = [("inline", 500)] + ([("workers", 0)] if args.workers else [])
    for label, budget in budgets:
        measure(f"sequential 100 ({label})", sequential(100), "sequential100", budget)
        for n in sizes:
            measure(f"foreach {n} ({label})", foreach(n), f"foreach{n}", budget)


if __name__ == "__main__":
    main()
