"""The task API as the engine answers it: the run context a task sees; events advance() has no rule for."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from msgspec import Struct

from engine.config import EngineConfig
from engine.executor.advance import UnroutableEventError, advance
from engine.executor.events import ReleaseSlot
from engine.expressions import Renderer
from engine.memory.clock import FixedClock
from engine.memory.ids import RandomIds
from engine.memory.resources import in_memory_resources
from engine.memory.runner import InMemoryRunner
from engine.model.execution import TaskRun
from engine.model.state import State, StateType
from engine.runtime.port_services import PortServices, Scope
from engine.runtime.run_context import TaskRunContext
from engine.task_api import RunContext, TaskFailedError

NOW = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
FLOW = """
id: hello
namespace: demo
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hi
"""


def _context(secrets: dict[str, str] | None = None) -> TaskRunContext:
    resources = in_memory_resources(secrets)
    scope = Scope("company.team", "my-flow", "exec1")
    services = PortServices(
        FixedClock(NOW), RandomIds(random.Random(0)), resources, EngineConfig(), scope, list
    )
    run = TaskRun("run1", "exec1", "company.team", "my-flow", "step", State.of(StateType.RUNNING, NOW), 0)
    return TaskRunContext(run, {"flow": {"id": "my-flow"}}, Renderer(), services)


def test_the_engine_s_run_context_is_the_task_api_s() -> None:
    context: RunContext = _context()
    assert context.now() == NOW
    assert context.render("{{ flow.id }}", "message") == "my-flow"


def test_a_secret_is_handed_out_then_masked_in_logs() -> None:
    context = _context({"TOKEN": "s3cr3t"})
    assert context.secret("TOKEN") == "s3cr3t"
    context.log("INFO", "token=s3cr3t")
    assert context.logs[-1].message == "token=******"
    with pytest.raises(TaskFailedError, match="Cannot find secret for key 'MISSING'"):
        context.secret("MISSING")


def test_files_go_under_the_task_run_and_read_back() -> None:
    context = _context()
    uri = context.put_file("out.csv", b"a,b\n")
    assert uri == "kestra:///company/team/my-flow/executions/exec1/tasks/step/run1/out.csv"
    assert context.read_file(uri) == b"a,b\n"


def test_files_of_other_executions_and_odd_names_are_refused() -> None:
    context = _context()
    with pytest.raises(TaskFailedError, match="didn't belong to the current execution"):
        context.read_file("kestra:///company/team/my-flow/executions/other/x.txt")
    for name in ("", "..", "/a", "a/../b", "a//b"):
        with pytest.raises(TaskFailedError, match="Invalid file name"):
            context.put_file(name, b"")


def test_an_event_advance_has_no_rule_for_is_an_error_not_dropped() -> None:
    class Stray(Struct, frozen=True):
        pass

    runner = InMemoryRunner()
    runner.deploy(FLOW)
    execution = runner.services.executions.create("demo", "hello", {})
    dispatcher = runner.services.dispatcher
    graph = dispatcher.catalog.graph("demo", "hello", execution.flow_revision)
    with pytest.raises(UnroutableEventError, match="ReleaseSlot is the dispatcher's"):
        advance(graph, execution, [ReleaseSlot()], dispatcher.engine)
    with pytest.raises(UnroutableEventError, match="no rule for Stray"):
        advance(graph, execution, [Stray()], dispatcher.engine)  # type: ignore[list-item]
