"""TaskRuns' expression views: loop outputs keyed by value, in creation order whatever order they end in."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from engine.model.execution import TaskRun, TaskRuns
from engine.model.state import State, StateType

NOW = datetime(2026, 1, 1, tzinfo=UTC)
VALUES = ["Paris", "Lisbon", "Oslo", "Rome"]


def _run(seq: int, value: str, outputs: dict[str, str] | None = None) -> TaskRun:
    state = State.of(StateType.SUCCESS if outputs else StateType.RUNNING, NOW)
    return TaskRun(
        f"r{seq}",
        "e",
        "ns",
        "f",
        "postcard",
        state,
        seq,
        value=value,
        outputs=outputs or {},
        value_path=(value,),
    )


@given(st.permutations(range(len(VALUES))))
def test_loop_outputs_list_in_creation_order_whatever_order_they_end(ending: list[int]) -> None:
    runs = TaskRuns(_run(seq, value) for seq, value in enumerate(VALUES))
    for seq in ending:
        runs.put(_run(seq, VALUES[seq], {"value": f"from {VALUES[seq]}"}))
    assert list(runs.outputs_view()["postcard"]) == VALUES
    assert list(runs.states_view()["postcard"]) == VALUES
    assert runs.outputs_view()["postcard"]["Oslo"] == {"value": "from Oslo"}
