"""Flows for the simulation: the examples, and random flows drawn from a seed.

A random flow nests Sequential, Parallel, ForEach, If and Switch, with errors and finally, retries, Sleep,
timeouts, subflows and KV writes that refuse to run twice (`overwrite: false` on a key of their own), so a
task run twice shows as a failure. Everything it computes is deterministic: a fault-free run and a faulty
one must agree on it.
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml
from msgspec import Struct, field

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMESPACE = "sim"
CHILD = f"""id: child
namespace: {NAMESPACE}
inputs:
  - id: n
    type: INT
tasks:
  - id: child_nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT20S
  - id: child_echo
    type: io.kestra.plugin.core.debug.Return
    format: "child {{{{ inputs.n }}}}"
outputs:
  - id: echoed
    type: STRING
    value: "{{{{ outputs.child_echo.value }}}}"
"""

# The same child one at a time: the subflows that call it queue for their flow's only slot (the
# concurrency gate: slots taken, queued, released and handed on under the faults).
CHILD_ONE_AT_A_TIME = CHILD.replace("inputs:\n", "concurrency:\n  limit: 1\n  behavior: QUEUE\ninputs:\n", 1)

# A batch of a ForEachItem: one KV write per child execution, refused a second time.
BATCH_CHILD = f"""id: batch_child
namespace: {NAMESPACE}
inputs:
  - id: items
    type: STRING
tasks:
  - id: batch_nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT10S
  - id: batch_once
    type: io.kestra.plugin.core.kv.Set
    key: "batch-{{{{ execution.id }}}}"
    value: "{{{{ read(inputs.items) }}}}"
    overwrite: false
  - id: batch_rows
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ read(inputs.items) | trim }}}}"
outputs:
  - id: rows
    type: STRING
    value: "{{{{ outputs.batch_rows.value }}}}"
"""


# Listens to every execution of the namespace (the random flow and its children) ending: each firing is
# one execution whose KV write refuses to run twice, so a firing started twice shows as a FAILED listener
# execution. Not RUNNING: how often an execution goes back to RUNNING (after RETRYING) depends on how its
# retries overlap in time, which faults change.
LISTENER = f"""id: listener
namespace: {NAMESPACE}
tasks:
  - id: heard
    type: io.kestra.plugin.core.kv.Set
    key: "heard-{{{{ trigger.executionId }}}}-{{{{ trigger.state }}}}-{{{{ execution.id }}}}"
    value: "{{{{ trigger.state }}}}"
    overwrite: false
triggers:
  - id: on_state
    type: io.kestra.plugin.core.trigger.Flow
    states: [SUCCESS, WARNING, FAILED, KILLED]
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionNamespace
        namespace: {NAMESPACE}
"""


# Fires every minute while the run lasts, in a namespace of its own (the listener does not hear it): each
# date is one execution whose KV write refuses to run twice. How many dates a run lasts depends on the
# faults, so its executions are not compared with the fault-free run's: they must be one per date, with no
# date skipped (ALL recovers what a lost tick missed), and each succeed.
CLOCK_NAMESPACE = "sim.clock"
CLOCK = f"""id: clock
namespace: {CLOCK_NAMESPACE}
tasks:
  - id: tick
    type: io.kestra.plugin.core.kv.Set
    key: "tick-{{{{ trigger.date | date('yyyyMMddHHmm') }}}}"
    value: "{{{{ execution.id }}}}"
    overwrite: false
triggers:
  - id: every_minute
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * *"
    recoverMissedSchedules: ALL
"""


class Case(Struct, frozen=True):
    """One flow to run: its source, the flows it calls, and how to start it."""

    name: str
    flow_id: str
    namespace: str
    source: str
    others: tuple[str, ...] = ()
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def flows(self) -> list[str]:
        return [*self.others, self.source]


def examples() -> list[Case]:
    cases = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        flow = yaml.safe_load(path.read_text())
        cases.append(Case(path.stem, flow["id"], flow["namespace"], path.read_text()))
    return cases


def random_case(seed: int) -> Case:
    generator = _Generator(random.Random(seed))
    tasks = generator.tasks(depth=0, width=generator.rng.randint(2, 4))
    with_items = generator.rng.random() < 0.25
    if with_items:
        tasks.insert(generator.rng.randint(0, len(tasks)), generator.for_each_item())
    flow: dict[str, object] = {"id": f"random{seed}", "namespace": NAMESPACE, "tasks": tasks}
    if generator.rng.random() < 0.3:
        flow["errors"] = [generator.leaf()]
    if generator.rng.random() < 0.3:
        flow["finally"] = [generator.leaf()]
    source = yaml.safe_dump(flow, sort_keys=False)
    child = CHILD_ONE_AT_A_TIME if generator.rng.random() < 0.5 else CHILD
    others = (
        ((child,) if generator.calls_child else ())
        + ((BATCH_CHILD,) if with_items else ())
        + ((LISTENER,) if generator.rng.random() < 0.3 else ())
        + ((CLOCK,) if generator.rng.random() < 0.3 else ())
    )
    return Case(f"random {seed}", f"random{seed}", NAMESPACE, source, others)


class _Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0
        self.calls_child = False

    def _id(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"

    def tasks(self, depth: int, width: int) -> list[dict[str, object]]:
        return [self.task(depth) for _ in range(width)]

    def task(self, depth: int) -> dict[str, object]:
        if depth < 2 and self.rng.random() < 0.4:
            return self.flowable(depth)
        return self.leaf()

    def for_each_item(self) -> dict[str, object]:
        """A file of rows made in a WorkingDirectory, then one `batch_child` execution per batch."""
        rows = "".join(f"row {n}\n" for n in range(1, self.rng.randint(1, 12)))
        files, each = self._id("files"), self._id("items")
        return {
            "id": self._id("sequential"),
            "type": "io.kestra.plugin.core.flow.Sequential",
            "tasks": [
                {
                    "id": files,
                    "type": "io.kestra.plugin.core.flow.WorkingDirectory",
                    "tasks": [
                        {
                            "id": f"{files}_local",
                            "type": "io.kestra.plugin.core.storage.LocalFiles",
                            "inputs": {"items.txt": rows},
                            "outputs": ["items.txt"],
                        }
                    ],
                },
                {
                    "id": each,
                    "type": "io.kestra.plugin.core.flow.ForEachItem",
                    "items": f"{{{{ outputs.{files}_local.uris['items.txt'] }}}}",
                    "batch": {"rows": self.rng.randint(1, 3)},
                    "namespace": NAMESPACE,
                    "flowId": "batch_child",
                    "concurrencyLimit": self.rng.choice([0, 0, 2]),
                    "wait": self.rng.random() < 0.8,
                    "inputs": {"items": "{{ taskrun.items }}"},
                },
                {
                    "id": self._id("merged"),
                    "type": "io.kestra.plugin.core.debug.Return",
                    "format": (
                        f"{{{{ outputs.{each}_merge.subflowOutputs is defined"
                        f" ? read(outputs.{each}_merge.subflowOutputs) : 'none' }}}}"
                    ),
                },
            ],
        }

    def flowable(self, depth: int) -> dict[str, object]:
        kind = self.rng.choice(["Sequential", "Parallel", "ForEach", "If", "Switch"])
        task: dict[str, object] = {"id": self._id(kind.lower()), "type": f"io.kestra.plugin.core.flow.{kind}"}
        children = self.tasks(depth + 1, self.rng.randint(1, 3))
        if kind == "Parallel":
            task["concurrent"] = self.rng.choice([0, 1, 2])
            task["tasks"] = children
        elif kind == "ForEach":
            task["values"] = [f"v{i}" for i in range(self.rng.randint(1, 4))]
            task["concurrencyLimit"] = self.rng.choice([0, 1, 2])
            task["tasks"] = children
        elif kind == "If":
            task["condition"] = self.rng.choice(["{{ true }}", "{{ 1 > 2 }}"])
            task["then"] = children
            task["else"] = self.tasks(depth + 1, 1)
        elif kind == "Switch":
            task["value"] = self.rng.choice(["a", "b", "z"])
            task["cases"] = {"a": children, "b": self.tasks(depth + 1, 1)}
            task["defaults"] = self.tasks(depth + 1, 1)
        else:
            task["tasks"] = children
        if self.rng.random() < 0.2:
            task["errors"] = [self.leaf()]
        if self.rng.random() < 0.2:
            task["finally"] = [self.leaf()]
        return task

    def leaf(self) -> dict[str, object]:
        kind = self.rng.choice(
            ["return", "return", "log", "sleep", "kv", "flaky", "fail", "timeout", "subflow"]
        )
        task_id = self._id(kind)
        if kind == "return":
            value = "{{ taskrun.value ?? 'none' }}"
            return {
                "id": task_id,
                "type": "io.kestra.plugin.core.debug.Return",
                "format": f"{task_id} {value}",
            }
        if kind == "log":
            return {"id": task_id, "type": "io.kestra.plugin.core.log.Log", "message": f"{task_id} here"}
        if kind == "sleep":
            seconds = self.rng.randint(1, 120)
            return {"id": task_id, "type": "io.kestra.plugin.core.flow.Sleep", "duration": f"PT{seconds}S"}
        if kind == "kv":
            return {
                "id": task_id,
                "type": "io.kestra.plugin.core.kv.Set",
                # One key per attempt of a task run: written twice, it fails.
                "key": "{{ task.id }}-{{ taskrun.id }}-{{ taskrun.attemptsCount }}",
                "value": task_id,
                "overwrite": False,
            }
        if kind == "flaky":
            # Fails on its first attempt, succeeds on its second.
            return {
                "id": task_id,
                "type": "io.kestra.plugin.core.execution.Fail",
                "condition": "{{ taskrun.attemptsCount == 0 }}",
                "retry": {"type": "constant", "interval": "PT30S", "maxAttempts": 3},
            }
        if kind == "fail":
            return {"id": task_id, "type": "io.kestra.plugin.core.execution.Fail", "allowFailure": True}
        if kind == "timeout":
            # The timeout fires long before the sleep ends, late messages included.
            return {
                "id": task_id,
                "type": "io.kestra.plugin.core.flow.Sleep",
                "duration": "PT20M",
                "timeout": "PT2M",
                "allowFailure": True,
            }
        self.calls_child = True
        return {
            "id": task_id,
            "type": "io.kestra.plugin.core.flow.Subflow",
            "namespace": NAMESPACE,
            "flowId": "child",
            "inputs": {"n": self.count},
        }
