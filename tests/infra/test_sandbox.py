"""The forking sandbox bounds a job's time and memory; what the job returns or raises comes back."""

from __future__ import annotations

import pytest

from engine.memory.sandbox import InlineSandbox
from engine.resources import LimitsExceededError
from infra.system.sandbox import ForkSandbox

MB = 1024 * 1024


def _spin() -> None:
    while True:
        pass


def _fail() -> None:
    raise RuntimeError("the job's own error")


@pytest.mark.parametrize("sandbox", [ForkSandbox(), InlineSandbox()], ids=["fork", "inline"])
def test_results_and_errors_come_back(sandbox: ForkSandbox | InlineSandbox) -> None:
    assert sandbox.run(lambda: {"a": [1, 2.5, None, "x"]}, seconds=5, memory_bytes=64 * MB) == {
        "a": [1, 2.5, None, "x"]
    }
    with pytest.raises(ValueError, match="the job's own error"):
        sandbox.run(_fail, seconds=5, memory_bytes=64 * MB)


def test_a_job_past_its_time_is_stopped() -> None:
    with pytest.raises(LimitsExceededError, match=r"took longer than 0\.5 s"):
        ForkSandbox().run(_spin, seconds=0.5, memory_bytes=64 * MB)


def test_a_job_past_its_memory_is_stopped() -> None:
    with pytest.raises(LimitsExceededError, match="needed more than 64 MB"):
        ForkSandbox().run(lambda: len(bytearray(512 * MB)), seconds=10, memory_bytes=64 * MB)
