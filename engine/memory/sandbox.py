"""A sandbox that runs the job in the caller, without limits: fast tests, whose jobs end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class InlineSandbox:
    def run(self, job: Callable[[], Any], *, seconds: float, memory_bytes: int) -> Any:
        try:
            return job()
        except Exception as exc:  # as the forking sandbox reports what the job raised
            raise ValueError(str(exc)) from exc
