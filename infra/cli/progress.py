"""Live progress of an execution on a terminal: the task tree with states and durations."""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from typing import TextIO

from engine.model.execution import Execution, TaskRun
from engine.model.state import StateType
from infra.cli.text import printable

S = StateType
_ICONS = {
    S.SUCCESS: "✔",
    S.WARNING: "!",
    S.FAILED: "✘",
    S.KILLED: "✘",
    S.CANCELLED: "∅",
    S.SKIPPED: "↷",
    S.RUNNING: "▶",
    S.PAUSED: "‖",
    S.RETRYING: "↻",
    S.CREATED: "·",
    S.SUBMITTED: "·",
}
_MAX_LINES = 40


def _seconds(run: TaskRun, now: datetime) -> float:
    end = run.state.end_date or now
    return max((end - run.state.start_date).total_seconds(), 0.0)


def task_lines(execution: Execution, now: datetime) -> list[str]:
    """One line per task run, children indented under their parent, in creation order."""
    lines: list[str] = []

    def walk(parent_id: str | None, depth: int) -> None:
        for run in execution.task_runs.children(parent_id):
            label = run.task_id if run.value is None else f"{run.task_id} [{printable(run.value)}]"
            icon = _ICONS.get(run.state.current, "·")
            lines.append(
                f"{'  ' * depth}{icon} {label}  {run.state.current.value}  {_seconds(run, now):.2f}s"
            )
            walk(run.id, depth + 1)

    walk(None, 1)
    return lines


def header_line(execution: Execution, now: datetime) -> str:
    end = execution.state.end_date or now
    took = (end - execution.state.start_date).total_seconds()
    return (
        f"{execution.namespace}.{execution.flow_id} {execution.id}  "
        f"{execution.state.current.value}  {took:.2f}s"
    )


class Progress:
    """Redraws in place on a terminal; elsewhere prints each task run once it reaches a new state. Lines
    noted from another thread (log lines as they come) go above the tree."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self.live = self.out.isatty()
        self._drawn: list[str] = []
        self._seen: dict[str, StateType] = {}
        self._header: StateType | None = None
        self._lock = threading.Lock()

    def note(self, lines: list[str]) -> None:
        with self._lock:
            tree = self._drawn
            self._redraw([])
            self.out.write("".join(f"{line}\n" for line in lines))
            self._redraw(tree)

    def update(self, execution: Execution, now: datetime) -> None:
        with self._lock:
            self._update(execution, now)

    def _update(self, execution: Execution, now: datetime) -> None:
        if self.live:
            self._redraw([header_line(execution, now), *self._clip(task_lines(execution, now))])
            return
        if execution.state.current != self._header:
            self._header = execution.state.current
            print(header_line(execution, now), file=self.out)
        for run in execution.task_runs:
            if self._seen.get(run.id) != run.state.current:
                self._seen[run.id] = run.state.current
                if run.state.current.terminated or run.state.current in (S.RUNNING, S.PAUSED, S.RETRYING):
                    depth = len(execution.task_runs.ancestors(run)) + 1
                    label = run.task_id if run.value is None else f"{run.task_id} [{printable(run.value)}]"
                    icon = _ICONS.get(run.state.current, "·")
                    print(f"{'  ' * depth}{icon} {label}  {run.state.current.value}", file=self.out)
        self.out.flush()

    def _clip(self, lines: list[str]) -> list[str]:
        if len(lines) <= _MAX_LINES:
            return lines
        return [*lines[: _MAX_LINES - 1], f"  … {len(lines) - _MAX_LINES + 1} more task runs"]

    def _redraw(self, lines: list[str]) -> None:
        """On a terminal, replaces the tree drawn last (none: `lines` empty) by `lines`."""
        if not self.live:
            self.out.flush()
            return
        if self._drawn:
            self.out.write(f"\x1b[{len(self._drawn)}F\x1b[J")
        self.out.write("".join(f"{line}\n" for line in lines))
        self.out.flush()
        self._drawn = lines
