"""Deterministic simulation: every seed's flow ends under faults as it ends without them (design §4).

`make soak` runs thousands of seeds (`python -m tests.simulation.soak`); `make test` runs the first
KITE_SIMULATION_SEEDS (default 200). A failing seed replays exactly: `python -m tests.simulation.soak
--seed N`.
"""

from __future__ import annotations

import os

import pytest

from tests.simulation.checks import check_seed

SEEDS = int(os.environ.get("KITE_SIMULATION_SEEDS", "200"))


@pytest.mark.parametrize("seed", range(SEEDS))
def test_a_flow_under_faults_ends_as_without_them(seed: int) -> None:
    verdict = check_seed(seed)
    assert verdict.ok, verdict.failure
