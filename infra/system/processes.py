"""Script tasks' processes in the worker (Kestra's Process task runner): a fresh directory under the temp
directory (Lambda's /tmp, sized by the function's ephemeral storage), a minimal environment, a deadline.

The process gets no credentials of the worker's: not its environment (AWS keys, the stack's settings), only
a PATH (this Python first, so `python3` finds the `kestra` package), a HOME in its working directory, the
locale and what the task declares. A script reaches AWS with credentials it is given, as the task's
`env` says.
"""

from __future__ import annotations

import glob
import os
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from engine.resources import OutputListener, ProcessError, ProcessResult

# What a script may read of the worker's own environment.
_PASSED = ("LANG", "LC_ALL", "TZ")
# A listener hears that nothing came after this long (the live log lines are written on time).
_IDLE_SECONDS = 1.0
_READ_BYTES = 64 * 1024
# Output files past this, together, are refused rather than read into memory.
MAX_OUTPUT_BYTES = 256 * 1024 * 1024


class LocalProcesses:
    def __init__(self, root: str | None = None) -> None:
        self._root = root

    def run(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        files: Mapping[str, bytes],
        outputs: Sequence[str],
        timeout: float,
        workspace: str | None = None,
        listener: OutputListener | None = None,
    ) -> ProcessResult:
        if workspace is not None:
            return self._run(Path(workspace), command, env, files, outputs, timeout, listener)
        with self.workspace() as folder:
            return self._run(Path(folder), command, env, files, outputs, timeout, listener)

    @contextmanager
    def workspace(self) -> Iterator[str]:
        with tempfile.TemporaryDirectory(prefix="kite-", dir=self._root) as folder:
            yield folder

    def write(self, workspace: str, files: Mapping[str, bytes]) -> None:
        for name, data in files.items():
            target = _inside(Path(workspace), name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

    def collect(self, workspace: str, patterns: Sequence[str]) -> dict[str, bytes]:
        return _collect(Path(workspace), patterns)

    def _run(  # noqa: PLR0917 - the port's arguments, passed through
        self,
        workdir: Path,
        command: Sequence[str],
        env: Mapping[str, str],
        files: Mapping[str, bytes],
        outputs: Sequence[str],
        timeout: float,
        listener: OutputListener | None,
    ) -> ProcessResult:
        self.write(str(workdir), files)
        try:
            process = subprocess.Popen(
                list(command),
                cwd=workdir,
                env=_environment(workdir, env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise ProcessError(f"Cannot run {command[0]!r}: {exc.strerror}") from None
        with process:
            heard = _Output(listener)
            deadline = time.monotonic() + timeout
            try:
                if not heard.follow(process, deadline):
                    raise subprocess.TimeoutExpired(command, timeout)
                # Its output closed, it may still run (it closed them itself): it too has the deadline.
                code = process.wait(max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                return ProcessResult(-1, *heard.lines(), {}, timed_out=True)
        return ProcessResult(code, *heard.lines(), _collect(workdir, outputs))


class _Output:
    """A process's stdout and stderr, read as they come, each complete line handed to the listener at once
    (on this thread: the task logs it in order)."""

    def __init__(self, listener: OutputListener | None) -> None:
        self._listener = listener
        self._partial = {"stdout": b"", "stderr": b""}
        self._lines: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def follow(self, process: subprocess.Popen[bytes], deadline: float) -> bool:
        """Read until both streams close, or the process has ended and a second passed without output
        (something it started in the background holds them open): True; or until the deadline: False."""
        finished = True
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ, "stdout")  # type: ignore[arg-type]
            selector.register(process.stderr, selectors.EVENT_READ, "stderr")  # type: ignore[arg-type]
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    finished = False
                    break
                ready = selector.select(min(left, _IDLE_SECONDS))
                if not ready and process.poll() is not None:
                    break
                if not ready and self._listener is not None:
                    self._listener.idle()
                for key, _ in ready:
                    chunk = os.read(key.fd, _READ_BYTES)
                    if chunk:
                        self._take(key.data, chunk)
                    else:
                        selector.unregister(key.fileobj)
        for stream, rest in self._partial.items():
            if rest:
                self._take(stream, b"\n")  # a last line without its newline
        return finished

    def lines(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(self._lines["stdout"]), tuple(self._lines["stderr"])

    def _take(self, stream: str, chunk: bytes) -> None:
        *complete, self._partial[stream] = (self._partial[stream] + chunk).split(b"\n")
        for raw in complete:
            line = raw.decode("utf-8", errors="replace").removesuffix("\r")
            self._lines[stream].append(line)
            if self._listener is not None:
                self._listener.line(stream, line)


def _inside(workdir: Path, name: str) -> Path:
    target = (workdir / name).resolve()
    if not target.is_relative_to(workdir.resolve()):
        raise ProcessError(f"'{name}' is outside the working directory")
    return target


def _environment(workdir: Path, declared: Mapping[str, str]) -> dict[str, str]:
    path = os.pathsep.join(
        dict.fromkeys([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    )
    env = {name: os.environ[name] for name in _PASSED if name in os.environ}
    env.update(PATH=path, HOME=str(workdir), PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    env.update(declared)
    return env


def _collect(workdir: Path, patterns: Sequence[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    total = 0
    for pattern in patterns:
        for match in sorted(glob.glob(pattern, root_dir=workdir, recursive=True)):
            path = _inside(workdir, match)
            if not path.is_file() or match in found:
                continue
            total += path.stat().st_size
            if total > MAX_OUTPUT_BYTES:
                raise ProcessError(f"output files over {MAX_OUTPUT_BYTES // (1024 * 1024)} MB")
            found[match] = path.read_bytes()
    return found
