"""Where the functions log: stderr, which Lambda sends to CloudWatch like stdout, and which keeps
`kite run --json`'s stdout for the execution alone."""

from __future__ import annotations

import logging
import sys


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time, not at import time."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def log_handler() -> logging.Handler:
    return _Stderr()
