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
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from engine.resources import ProcessError, ProcessResult

# What a script may read of the worker's own environment.
_PASSED = ("LANG", "LC_ALL", "TZ")
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
    ) -> ProcessResult:
        if workspace is not None:
            return self._run(Path(workspace), command, env=env, files=files, outputs=outputs, timeout=timeout)
        with self.workspace() as folder:
            return self._run(Path(folder), command, env=env, files=files, outputs=outputs, timeout=timeout)

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

    def _run(
        self,
        workdir: Path,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        files: Mapping[str, bytes],
        outputs: Sequence[str],
        timeout: float,
    ) -> ProcessResult:
        self.write(str(workdir), files)
        try:
            done = subprocess.run(
                list(command),
                cwd=workdir,
                env=_environment(workdir, env),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as expired:
            return ProcessResult(-1, _lines(expired.stdout), _lines(expired.stderr), {}, timed_out=True)
        except OSError as exc:
            raise ProcessError(f"Cannot run {command[0]!r}: {exc.strerror}") from None
        return ProcessResult(
            done.returncode, _lines(done.stdout), _lines(done.stderr), _collect(workdir, outputs)
        )


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


def _lines(data: bytes | str | None) -> tuple[str, ...]:
    if data is None:
        return ()
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    return tuple(text.splitlines())


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
