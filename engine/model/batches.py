"""How far a task run that starts one child execution per batch (ForEachItem's `_items`) has got: the
children started, those whose end was counted (a bitmap, so a notice delivered twice counts once), and the
kill notices sent. Internal: never in Kestra's JSON."""

from __future__ import annotations

import base64
from typing import Any

from msgspec import Struct
from msgspec.structs import replace


class Batches(Struct, frozen=True):
    total: int
    # The attempt of the task run whose number the children's ids carry (a restart that retries the failed
    # children keeps them).
    attempt: int = 1
    started: int = 0
    # Bit i-1 is set once the child of iteration i has ended; in `failed`, once it ended FAILED.
    ended: bytes = b""
    failed: bytes = b""
    killed: int = 0  # kill notices sent, for iterations 1..killed
    restarting: bool = False  # the failed children are being restarted (RETRY_FAILED)

    def has_ended(self, iteration: int) -> bool:
        return _has(self.ended, iteration)

    def with_ended(self, iteration: int, *, failed: bool = False) -> Batches:
        return replace(
            self,
            ended=_set(self.ended, iteration),
            failed=_set(self.failed, iteration) if failed else self.failed,
        )

    def first_failed(self) -> int | None:
        for index, byte in enumerate(self.failed):
            if byte:
                return index * 8 + (byte & -byte).bit_length()
        return None

    def restarted(self, iteration: int) -> Batches:
        """The failed child of `iteration` runs again: neither ended nor failed any more."""
        return replace(self, ended=_clear(self.ended, iteration), failed=_clear(self.failed, iteration))

    @property
    def ended_count(self) -> int:
        return sum(bin(byte).count("1") for byte in self.ended)

    @property
    def running(self) -> int:
        return self.started - self.ended_count

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "attempt": self.attempt,
            "started": self.started,
            "ended": base64.b64encode(self.ended).decode(),
            "failed": base64.b64encode(self.failed).decode(),
            "killed": self.killed,
            "restarting": self.restarting,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Batches:
        return Batches(
            total=int(data["total"]),
            attempt=int(data["attempt"]),
            started=int(data["started"]),
            ended=base64.b64decode(data["ended"]),
            failed=base64.b64decode(data["failed"]),
            killed=int(data["killed"]),
            restarting=bool(data["restarting"]),
        )


def _has(bits: bytes, iteration: int) -> bool:
    index = iteration - 1
    return index // 8 < len(bits) and bool(bits[index // 8] & (1 << (index % 8)))


def _set(bits: bytes, iteration: int) -> bytes:
    index = iteration - 1
    changed = bytearray(bits.ljust(index // 8 + 1, b"\0"))
    changed[index // 8] |= 1 << (index % 8)
    return bytes(changed)


def _clear(bits: bytes, iteration: int) -> bytes:
    if not _has(bits, iteration):
        return bits
    index = iteration - 1
    changed = bytearray(bits)
    changed[index // 8] &= ~(1 << (index % 8)) & 0xFF
    return bytes(changed)
