"""Random execution ids in Kestra's format, from the OS's randomness."""

from __future__ import annotations

import secrets

from engine.model.ids import from_bytes


class SecureIds:
    def new_id(self) -> str:
        return from_bytes(secrets.token_bytes(16))

    def random_below(self, bound: int) -> int:
        return secrets.randbelow(bound)

    def random_bytes(self, size: int) -> bytes:
        return secrets.token_bytes(size)
