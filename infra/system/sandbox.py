"""A sandbox in a forked process: the job runs in a child with a memory limit (RLIMIT_AS) and is killed
past its time, so a jq program that never ends or builds a list of a hundred million items costs its own
process, not the step's (issue 12). Lambda allows processes; only the result crosses back, as JSON
through a pipe."""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from engine.resources import LimitsExceededError

_CHUNK = 65536


class ForkSandbox:
    def run(self, job: Callable[[], Any], *, seconds: float, memory_bytes: int) -> Any:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: run, write the answer, leave without running anything of the parent's
            os.close(read_end)
            _child(job, write_end, memory_bytes)
        os.close(write_end)
        try:
            data = _read_until(read_end, time.monotonic() + seconds)
        finally:
            os.close(read_end)
            _reap(pid)
        if data is None:
            raise LimitsExceededError(f"took longer than {seconds:g} s")
        if not data:
            raise LimitsExceededError(f"needed more than {memory_bytes // (1024 * 1024)} MB of memory")
        answer = json.loads(data)
        if "error" in answer:
            raise ValueError(answer["error"])
        return answer["value"]


def _child(job: Callable[[], Any], write_end: int, memory_bytes: int) -> None:
    code = 0
    try:
        # A job that runs out of memory may abort in C: its report is the parent's to make, not stderr's.
        faulthandler.disable()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        limit = _address_space() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            answer: dict[str, Any] = {"value": job()}
        except MemoryError:
            os._exit(3)  # nothing written: the parent reports the memory limit
        except Exception as exc:
            answer = {"error": str(exc)}
        payload = json.dumps(answer).encode()
        view = memoryview(payload)
        while view:
            written = os.write(write_end, view[:_CHUNK])
            view = view[written:]
    except BaseException:
        code = 2
    finally:
        os._exit(code)


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes before it closes the pipe; None if the deadline comes first."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _address_space() -> int:
    """The process's virtual size: the child starts with all of it (copy-on-write), so its limit is on top."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()
