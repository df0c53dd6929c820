"""log.Fetch on the embedded stack: this execution's lines, and an upstream's through a Flow trigger."""

from __future__ import annotations

from infra.embedded.local import LocalKite

UPSTREAM = """id: noisy
namespace: company.team
tasks:
  - id: talk
    type: io.kestra.plugin.core.log.Log
    message: ["quiet detail", "something happened"]
    level: INFO
  - id: debug
    type: io.kestra.plugin.core.log.Log
    level: DEBUG
    message: too low
  - id: fetch
    type: io.kestra.plugin.core.log.Fetch
    level: INFO
    tasksId: [talk]
"""

COLLECTOR = """id: collector
namespace: company.team
tasks:
  - id: fetch
    type: io.kestra.plugin.core.log.Fetch
    level: INFO
    executionId: "{{ trigger.executionId }}"
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: >-
      {{ outputs.fetch.size }} lines:
      {{ fromIon(read(outputs.fetch.uri) | split('\\n') | first).message }}
triggers:
  - id: after
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: company.team
        flowId: noisy
"""


def test_fetch_writes_the_lines_from_a_level_up_and_of_an_upstream() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(UPSTREAM)
        kite.deploy(COLLECTOR)
        upstream = kite.run("company.team", "noisy")
        assert kite.pump is not None
        pump = kite.pump
        pump.run_until(lambda: bool(kite.services.store.search("company.team", "collector")) and pump.idle())
        (collector,) = kite.services.store.search("company.team", "collector")
        collector = kite.wait(collector.id)
        rows = kite.services.resources.storage.get(upstream.task_runs.of_task("fetch")[0].outputs["uri"])
        shown = [e.message for e in kite.services.executions.logs(collector.id) if e.task_id == "show"]
    fetched = upstream.task_runs.of_task("fetch")[0].outputs
    assert fetched["size"] == 2
    assert rows.decode().count("\n") == 2 and "too low" not in rows.decode()
    assert collector.state.current.value == "SUCCESS"
    # talk's two lines and the upstream's end line, INFO and up; the first one read back from Ion.
    assert shown == ["3 lines: quiet detail"]
