"""How far a task run that starts one child execution per batch (ForEachItem's `_items`) has got: the
children started, those whose end was counted (a bitmap, so a notice delivered twice counts once), and the
kill notices sent. Internal: never in Kestra's JSON."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Batches:
    total: int
    started: int = 0
    # Bit i-1 is set once the child of iteration i has ended.
    ended: bytes = b""
    killed: int = 0  # kill notices sent, for iterations 1..killed

    def has_ended(self, iteration: int) -> bool:
        index = iteration - 1
        return index // 8 < len(self.ended) and bool(self.ended[index // 8] & (1 << (index % 8)))

    def with_ended(self, iteration: int) -> Batches:
        index = iteration - 1
        bits = bytearray(self.ended.ljust(index // 8 + 1, b"\0"))
        bits[index // 8] |= 1 << (index % 8)
        return replace(self, ended=bytes(bits))

    @property
    def ended_count(self) -> int:
        return sum(bin(byte).count("1") for byte in self.ended)

    @property
    def running(self) -> int:
        return self.started - self.ended_count

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "started": self.started,
            "ended": base64.b64encode(self.ended).decode(),
            "killed": self.killed,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Batches:
        return Batches(
            int(data["total"]), int(data["started"]), base64.b64decode(data["ended"]), int(data["killed"])
        )
