"""Seeded ids, so that a test run is reproducible."""

from __future__ import annotations

import random

from engine.model.ids import from_bytes


class RandomIds:
    """Kestra-format ids (22-char base62) drawn from the `random.Random` it is given."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def new_id(self) -> str:
        return from_bytes(self._rng.randbytes(16))

    def random_below(self, bound: int) -> int:
        return self._rng.randrange(bound)

    def random_bytes(self, size: int) -> bytes:
        return self._rng.randbytes(size)
