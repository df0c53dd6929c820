"""A handler module imports with the cyclic garbage collector paused (part of every cold start).

Importing a handler creates a few hundred thousand objects (modules, classes, validators, botocore's
models) and no garbage: the collections their allocations trigger only walk them, ~25 ms of a cold start
(9%). After the imports, `gc.freeze` moves them out of the collector's sight for good, so the collections
of later invocations do not walk them either.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def imports() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
