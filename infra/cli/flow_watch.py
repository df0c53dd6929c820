"""`kite serve --flows DIR`: deploy every flow of the folders at start and again when a file changes. A flow
that fails to deploy is reported (`file:line:col: path: message`) and its last good revision keeps
serving."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from engine.flow.loader import InvalidFlowError
from infra.cli.common import UsageError, read_source
from infra.cli.text import printable

FLOW_SUFFIXES = (".yaml", ".yml")
POLL_S = 1.0

Deploy = Callable[[str, str], object]


class FlowWatch:
    def __init__(self, folders: Sequence[Path], deploy: Deploy, out: TextIO | None = None) -> None:
        self._folders = list(folders)
        self._deploy = deploy
        self._out = out or sys.stderr
        self._seen: dict[Path, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def scan(self) -> int:
        """Deploy what is new or changed since the last scan; how many files were deployed."""
        deployed = 0
        for path in self._files():
            try:
                modified = path.stat().st_mtime
            except OSError:
                continue
            if self._seen.get(path) == modified:
                continue
            self._seen[path] = modified
            try:
                self._deploy(read_source(path), str(path))
            except InvalidFlowError as exc:
                print(f"kite: {path} not deployed; the last good revision stays:\n{exc}", file=self._out)
            except UsageError as exc:
                print(f"kite: {printable(str(exc))}", file=self._out)
            else:
                deployed += 1
                print(f"kite: deployed {path}", file=self._out)
        return deployed

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kite-flow-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(POLL_S):
            self.scan()

    def _files(self) -> list[Path]:
        return sorted(
            path
            for folder in self._folders
            for path in folder.rglob("*")
            if path.suffix in FLOW_SUFFIXES and path.is_file()
        )
