"""Flow triggers on the real pipeline: one execution per upstream state, whatever comes twice (issue 14)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from infra.embedded.clock import VirtualClock
from infra.embedded.local import LocalKite
from tests.functional.faults import on_every_function, twice

UPSTREAM = """id: etl
namespace: demo
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: "rows: 3"
outputs:
  - id: rows
    type: STRING
    value: "{{ outputs.a.value }}"
"""

LOAD = UPSTREAM.replace("id: etl\n", "id: load\n", 1)

LISTENER = """id: report
namespace: demo
inputs:
  - id: rows
    type: STRING
tasks:
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.rows }} from {{ trigger.flowId }} {{ trigger.state }}"
triggers:
  - id: after_etl
    type: io.kestra.plugin.core.trigger.Flow
    states: [SUCCESS]
    inputs:
      rows: "{{ trigger.outputs.rows }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: demo
        flowId: etl
"""

BOTH = """id: both
namespace: demo
tasks:
  - id: done
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.flowId }}"
triggers:
  - id: after_both
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: both
      flows:
        - namespace: demo
          flowId: etl
          states: [SUCCESS]
        - namespace: demo
          flowId: load
          states: [SUCCESS]
      timeWindow:
        type: SLIDING_WINDOW
        window: PT1H
"""


def _of(kite: LocalKite, flow_id: str) -> list[str]:
    return [e.id for e in kite.services.store.search("demo", flow_id)]


@pytest.mark.parametrize("faulty", [False, True])
def test_an_upstream_end_starts_its_listener_once(faulty: bool) -> None:
    wrap = on_every_function(twice) if faulty else {}
    with LocalKite(inline_budget=0, wrap=wrap) as kite:
        kite.deploy(UPSTREAM)
        kite.deploy(LISTENER)
        upstream = kite.run("demo", "etl")
        assert kite.pump is not None
        kite.pump.run_until(lambda: len(_of(kite, "report")) == 1 and kite.pump.idle())  # type: ignore[union-attr]
        (listener_id,) = _of(kite, "report")
        listener = kite.wait(listener_id)
    assert listener.state.current.value == "SUCCESS"
    assert listener.inputs == {"rows": "rows: 3"}
    assert listener.task_runs.of_task("show")[0].outputs == {"value": "rows: 3 from etl SUCCESS"}
    assert listener.trigger is not None and listener.trigger["variables"]["executionId"] == upstream.id


@pytest.mark.parametrize("faulty", [False, True])
def test_preconditions_on_two_flows_fire_once_when_both_succeeded_in_the_window(faulty: bool) -> None:
    wrap = on_every_function(twice) if faulty else {}
    with LocalKite(inline_budget=0, wrap=wrap) as kite:
        for source in (UPSTREAM, LOAD, BOTH):
            kite.deploy(source)
        kite.run("demo", "etl")
        kite.run("demo", "etl")
        assert kite.pump is not None
        kite.pump.run_until(kite.pump.idle)
        assert _of(kite, "both") == []  # only one of the two flows so far
        kite.run("demo", "load")
        kite.pump.run_until(kite.pump.idle)
        fired = _of(kite, "both")
        assert len(fired) == 1
        assert kite.wait(fired[0]).task_runs.of_task("done")[0].outputs == {"value": "load"}
        kite.run("demo", "load")  # a new round: etl is needed again
        kite.pump.run_until(kite.pump.idle)
        assert len(_of(kite, "both")) == 1


def test_a_flow_trigger_disabled_through_the_api_starts_nothing() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(UPSTREAM)
        kite.deploy(LISTENER)
        kite.services.trigger_states.set_disabled("demo", "report", "after_etl", True)
        kite.run("demo", "etl")
        assert kite.pump is not None
        kite.pump.run_until(kite.pump.idle)
        assert _of(kite, "report") == []
        kite.services.trigger_states.set_disabled("demo", "report", "after_etl", False)
        kite.run("demo", "etl")
        kite.pump.run_until(kite.pump.idle)
        assert len(_of(kite, "report")) == 1


THREE = """id: all_three
namespace: demo
tasks:
  - id: done
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.flowId }}"
triggers:
  - id: after_three
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: three
      flows:
        - {namespace: demo, flowId: etl, states: [SUCCESS]}
        - {namespace: demo, flowId: load, states: [SUCCESS]}
        - {namespace: demo, flowId: report_src, states: [SUCCESS]}
      timeWindow:
        type: SLIDING_WINDOW
        window: PT1H
"""


def test_preconditions_on_three_flows_fire_only_when_all_succeed_inside_the_sliding_window() -> None:
    with LocalKite(inline_budget=0) as kite:
        for source in (UPSTREAM, LOAD, UPSTREAM.replace("id: etl\n", "id: report_src\n", 1), THREE):
            kite.deploy(source)
        assert kite.pump is not None and isinstance(kite.clock, VirtualClock)
        kite.run("demo", "etl")
        kite.run("demo", "load")
        kite.pump.run_until(kite.pump.idle)
        kite.clock.advance(timedelta(hours=2))  # etl and load slide out of the window
        kite.run("demo", "report_src")
        kite.pump.run_until(kite.pump.idle)
        assert _of(kite, "all_three") == []
        kite.clock.advance(timedelta(minutes=20))
        kite.run("demo", "etl")
        kite.pump.run_until(kite.pump.idle)
        assert _of(kite, "all_three") == []  # load's success is still outside
        kite.run("demo", "load")
        kite.pump.run_until(kite.pump.idle)
        (fired,) = _of(kite, "all_three")
        assert kite.wait(fired).task_runs.of_task("done")[0].outputs == {"value": "load"}


def test_a_kill_of_the_upstream_reaches_what_its_flow_trigger_started() -> None:
    """Kestra's kill finds every execution by its triggerExecutionId, a Flow trigger's too, even once the
    upstream has ended."""
    slow_listener = LISTENER.replace(
        "  - id: show\n    type: io.kestra.plugin.core.debug.Return\n",
        "  - id: nap\n    type: io.kestra.plugin.core.flow.Sleep\n    duration: PT1H\n"
        "  - id: show\n    type: io.kestra.plugin.core.debug.Return\n",
    )
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(UPSTREAM)
        kite.deploy(slow_listener)
        upstream = kite.run("demo", "etl")
        assert kite.pump is not None

        def listener_is(state: str) -> bool:
            found = kite.services.store.search("demo", "report")
            return [e.state.current.value for e in found] == [state]

        kite.pump.run_until(lambda: listener_is("RUNNING"))
        assert upstream.state.current.value == "SUCCESS"
        kite.services.executions.kill(upstream.id)
        kite.pump.run_until(lambda: listener_is("KILLED"))
        assert kite.services.executions.get(upstream.id).state.current.value == "SUCCESS"
        (listener,) = kite.services.store.search("demo", "report")
        assert kite.services.store.search(started_by=upstream.id)[0].id == listener.id
