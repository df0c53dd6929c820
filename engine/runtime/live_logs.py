"""An attempt's log lines shown while it runs: a worker writes them in chunks, a few seconds apart, beside
the journal (`ExecutionStore.append_live_logs`); its result then carries them all, as before. An attempt
that ends within the first few seconds writes nothing here: a quick task costs no extra write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from engine.model.logs import LogEntry
from engine.resources import Clock

# How long lines wait before they are written: the first ones, and each later batch.
FLUSH_AFTER = timedelta(seconds=2)

# Writes chunk N (1, 2, …) of the attempt's lines.
ChunkWriter = Callable[[int, Sequence[LogEntry]], None]


class LiveLogs:
    def __init__(self, write: ChunkWriter, clock: Clock) -> None:
        self._write = write
        self._clock = clock
        self._pending: list[LogEntry] = []
        self._chunks = 0
        self._since = clock.now()

    def add(self, entry: LogEntry) -> None:
        self._pending.append(entry)
        self.tick()

    def tick(self) -> None:
        """Write what waited long enough."""
        now = self._clock.now()
        if not self._pending or now - self._since < FLUSH_AFTER:
            return
        self._chunks += 1
        try:
            self._write(self._chunks, tuple(self._pending))
        except Exception:  # a preview lost: the lines still come with the attempt's result
            self._chunks -= 1
            return
        self._pending.clear()
        self._since = now
