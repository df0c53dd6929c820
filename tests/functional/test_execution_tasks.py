"""execution.Count, Resume, PurgeExecutions and log.PurgeLogs on the embedded stack (issue 15)."""

from __future__ import annotations

from infra.embedded.local import LocalKite

WORK = """id: work
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hello
"""

GATE = """id: gate
namespace: company.team
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: ok
        type: BOOLEAN
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "ok={{ outputs.wait.onResume.ok }}"
"""

ADMIN = """id: admin
namespace: company.team
inputs:
  - id: gate
    type: STRING
tasks:
  - id: counts
    type: io.kestra.plugin.core.execution.Count
    expression: "{{ count >= 2 }}"
    states: [SUCCESS]
    flows:
      - namespace: company.team
        flowId: work
      - namespace: company.team
        flowId: never
    startDate: "{{ now() | dateAdd(-1, 'DAYS') }}"
  - id: none
    type: io.kestra.plugin.core.execution.Count
    expression: "{{ count == 0 }}"
    flows:
      - namespace: company.team
        flowId: never
    startDate: "{{ now() | dateAdd(-1, 'DAYS') }}"
  - id: resume
    type: io.kestra.plugin.core.execution.Resume
    executionId: "{{ inputs.gate }}"
    inputs:
      ok: true
  - id: purge_logs
    type: io.kestra.plugin.core.log.PurgeLogs
    flowId: work
    logLevels: [INFO]
    endDate: "{{ now() }}"
  - id: purge
    type: io.kestra.plugin.core.execution.PurgeExecutions
    flowId: work
    endDate: "{{ now() }}"
"""


def test_count_resume_and_purge_other_executions() -> None:
    with LocalKite(inline_budget=0) as kite:
        for source in (WORK, GATE, ADMIN):
            kite.deploy(source)
        first, second = kite.run("company.team", "work"), kite.run("company.team", "work")
        gate = kite.start_execution("company.team", "gate")
        assert kite.pump is not None
        kite.pump.run_until(lambda: kite.services.executions.get(gate.id).state.current.value == "PAUSED")
        admin = kite.run("company.team", "admin", {"gate": gate.id})
        resumed = kite.wait(gate.id)
        left = [e.id for e in kite.services.store.search("company.team", "work")]
    runs = {run.task_id: run for run in admin.task_runs}
    assert admin.state.current.value == "SUCCESS", [
        (r.task_id, r.state.current.value) for r in admin.task_runs
    ]
    assert runs["counts"].outputs == {
        "results": [{"namespace": "company.team", "flowId": "work", "count": 2}],
        "total": 2,
    }
    assert runs["none"].outputs["results"] == [{"namespace": "company.team", "flowId": "never", "count": 0}]
    assert resumed.task_runs.of_task("after")[0].outputs == {"value": "ok=true"}
    assert runs["purge_logs"].outputs == {"count": 4}  # each work run: its Log line and its end line
    assert runs["purge"].outputs["executionsCount"] == 2
    assert first.id not in left and second.id not in left
