"""The bitmap a ForEachItem's `_items` task run counts its children's ends with, against a set."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.model.batches import Batches

moves = st.lists(st.tuples(st.sampled_from(["end", "fail", "restart"]), st.integers(1, 300)), max_size=200)


@given(moves)
def test_the_bitmaps_behave_as_sets(steps: list[tuple[str, int]]) -> None:
    batches = Batches(300, started=300)
    ended: set[int] = set()
    failed: set[int] = set()
    for move, iteration in steps:
        if move == "restart":
            batches = batches.restarted(iteration)
            ended.discard(iteration)
            failed.discard(iteration)
        else:
            batches = batches.with_ended(iteration, failed=move == "fail")
            ended.add(iteration)
            if move == "fail":
                failed.add(iteration)
        assert batches.ended_count == len(ended)
        assert batches.running == 300 - len(ended)
        assert batches.first_failed() == (min(failed) if failed else None)
    assert [i for i in range(1, 301) if batches.has_ended(i)] == sorted(ended)
    assert Batches.from_json(batches.to_json()) == batches
