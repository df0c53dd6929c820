"""Where the functions log: stderr, which Lambda sends to CloudWatch like stdout, and which keeps
`kite run --json`'s stdout for the execution alone."""

from __future__ import annotations

import logging
import sys


def log_handler() -> logging.Handler:
    return logging.StreamHandler(sys.stderr)
