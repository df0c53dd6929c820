"""The dispatcher hands the store the execution it committed last, so a store reads only what came after."""

from __future__ import annotations

from engine.memory.runner import InMemoryRunner
from engine.ports import Commit, QueueName, StoredExecution
from engine.services import messages

FLOW = """id: steps
namespace: demo
tasks:
  - id: a
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1M
  - id: b
    type: io.kestra.plugin.core.debug.Return
    format: done
"""


def counting_loads(runner: InMemoryRunner) -> list[tuple[str, int | None]]:
    """(execution id, version of the copy the caller knew) of each load."""
    loads: list[tuple[str, int | None]] = []
    load = runner.store.load

    def counted(execution_id: str, known: StoredExecution | None = None) -> StoredExecution | None:
        loads.append((execution_id, known.execution.version if known else None))
        return load(execution_id, known)

    runner.store.load = counted  # type: ignore[method-assign]
    return loads


def first_step(runner: InMemoryRunner) -> str:
    runner.deploy(FLOW)
    created = runner.services.executions.create("demo", "steps")
    (start,) = runner.bus.drain(QueueName.DISPATCH)
    execution_id, event = messages.decode_event(start.body)
    runner.services.dispatcher.handle(execution_id, [event])
    return created.id


def test_a_step_after_its_own_commit_hands_its_copy_to_the_store() -> None:
    runner = InMemoryRunner()
    loads = counting_loads(runner)
    execution_id = first_step(runner)
    runner.drain()  # the timer step
    assert loads[0] == (execution_id, None)
    assert loads[1] == (execution_id, 2)
    assert runner.store.load(execution_id).execution.state.current.value == "SUCCESS"  # type: ignore[union-attr]


def test_a_commit_by_someone_else_is_read_despite_the_copy() -> None:
    runner = InMemoryRunner()
    execution_id = first_step(runner)
    stored = runner.store.load(execution_id)
    assert stored is not None
    runner.store.commit(Commit(stored.execution, frozenset()))  # another writer bumps the version
    loads = counting_loads(runner)
    runner.drain()
    assert loads[:1] == [(execution_id, 2)]
    assert runner.services.executions.get(execution_id).state.current.value == "SUCCESS"
