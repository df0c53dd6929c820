"""ForEachItem at scale on the embedded stack (issue 16): a file of rows, one subflow execution per batch.

    python -m bench.foreach_item [--rows 100000] [--batch 10]

Prints how long it took, whether every batch's execution is accounted for, the AWS requests and dollars
per item and per batch at AWS list prices, and the largest DynamoDB item and SQS message the run wrote
(the limits are 400 KB and 256 KB).
"""

from __future__ import annotations

import argparse
import time

from engine.creation.uploads import Upload
from infra.aws.cost import PER_MILLION, LambdaUsage, cost_of
from infra.embedded.local import LocalKite

CHILD = """id: batch
namespace: bench
inputs:
  - id: items
    type: STRING
tasks:
  - id: count
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.items) | trim | split('\\n') | length }}"
outputs:
  - id: rows
    type: INT
    value: "{{ outputs.count.value }}"
"""


def parent(batch: int) -> str:
    return f"""id: fan_out
namespace: bench
inputs:
  - id: orders
    type: FILE
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{{{ inputs.orders }}}}"
    batch:
      rows: {batch}
    namespace: bench
    flowId: batch
    inputs:
      items: "{{{{ taskrun.items }}}}"
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args()
    rows = b"".join(f'{{"order": {n}, "total": {n % 97}}}\n'.encode() for n in range(1, args.rows + 1))
    with LocalKite() as kite:
        kite.deploy(CHILD)
        kite.deploy(parent(args.batch))
        assert kite.stack is not None
        kite.stack.stats.reset()
        kite.invocations = 0
        started = time.perf_counter()
        execution = kite.start_execution("bench", "fan_out", files={"orders": Upload("orders.jsonl", rows)})
        execution = kite.wait(execution.id, timeout_s=24 * 3600)
        took = time.perf_counter() - started
        stats = kite.stack.stats.snapshot()
        invocations = kite.invocations
        with kite.stack.stats.paused():
            children = kite.services.executions.store.search("bench", "batch")
    items = next(run for run in execution.task_runs if run.task_id == "each_items")
    batches = items.outputs.get("numberOfBatches", 0)
    succeeded = sum(1 for child in children if child.state.current.value == "SUCCESS")
    cost = cost_of(stats, LambdaUsage(invocations))
    print(
        f"ForEachItem {args.rows} rows, batches of {args.batch}: "
        f"{execution.state.current.value} in {took:.0f} s; "
        f"{batches} batches, {len(children)} child executions, {succeeded} SUCCESS, "
        f"iterations {items.outputs.get('iterations')}",
        flush=True,
    )
    print(
        f"  {stats.total_calls / args.rows:.2f} AWS requests per item "
        f"({stats.total_calls / batches:.1f} per batch), "
        f"{invocations} Lambda invocations; ${cost.total / args.rows * PER_MILLION:.2f} per million items "
        f"(${cost.total / batches * PER_MILLION:.2f} per million batches)",
        flush=True,
    )
    parts = "  ".join(f"{name} ${dollars:.4f}" for name, dollars in cost.by_service().items())
    print(f"  this run: ${cost.total:.4f} ({parts})", flush=True)
    print(
        f"  largest DynamoDB item {stats.largest_item / 1024:.1f} KB (limit 400 KB), "
        f"largest SQS message {stats.largest_message / 1024:.1f} KB (limit 256 KB)",
        flush=True,
    )


if __name__ == "__main__":
    main()
