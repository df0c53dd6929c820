"""Kestra's id format: 22 base62 characters (a 128-bit number)."""

from __future__ import annotations

import hashlib

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(number: int, width: int = 22) -> str:
    chars = []
    while number:
        number, rest = divmod(number, 62)
        chars.append(_ALPHABET[rest])
    return "".join(reversed(chars)).rjust(width, "0")[-width:]


def from_bytes(data: bytes) -> str:
    return base62(int.from_bytes(data[:16], "big"))


def task_run_id(execution_id: str, seq: int) -> str:
    """Deterministic, so that replaying the same step creates the same task run."""
    return from_bytes(hashlib.sha256(f"{execution_id}/{seq}".encode()).digest())


def derived_id(parent_id: str, purpose: str) -> str:
    """An execution id derived from another: a re-sent start creates the same execution, not a second."""
    return from_bytes(hashlib.sha256(f"{parent_id}/{purpose}".encode()).digest())
