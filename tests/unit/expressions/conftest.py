from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine.expressions import Renderer


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def spec_context() -> dict[str, Any]:
    """The context of spec §15.7."""
    return {
        "inputs": {
            "name": "world",
            "n": 5,
            "f": 2.5,
            "flag": True,
            "list": [1, 2, 3],
            "empty": "",
            "nul": None,
            "obj": {"a": 1, "b": "x"},
        },
        "outputs": {"t1": {"value": "hello"}, "each": {"a": {"value": "A"}, "b": {"value": "B"}}},
        "vars": {"greeting": "Hi {{ inputs.name }}"},
        "execution": {"id": "exec1", "startDate": datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)},
    }


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture
def ctx() -> dict[str, Any]:
    return spec_context()
