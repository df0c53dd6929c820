"""namespace.UploadFiles, DownloadFiles and DeleteFiles on the embedded stack (issue 15)."""

from __future__ import annotations

from infra.embedded.local import LocalKite

FLOW = """id: ns_files
namespace: company.team
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["*.sql", "*.txt"]
    commands:
      - echo "select 1" > a.sql
      - echo "select 2" > b.sql
      - echo "notes" > readme.txt
  - id: upload
    type: io.kestra.plugin.core.namespace.UploadFiles
    namespace: "{{ flow.namespace }}"
    destination: /queries
    files:
      - "{{ outputs.make.outputFiles['a.sql'] }}"
      - "{{ outputs.make.outputFiles['b.sql'] }}"
    filesMap:
      /docs/readme.txt: "{{ outputs.make.outputFiles['readme.txt'] }}"
  - id: download
    type: io.kestra.plugin.core.namespace.DownloadFiles
    namespace: company.team
    files:
      - "**.sql"
  - id: read
    type: io.kestra.plugin.core.log.Log
    message: >-
      {{ read('queries/b.sql') | trim }} /
      {{ read(outputs.download.files['/queries/a.sql']) | trim }}
  - id: delete
    type: io.kestra.plugin.core.namespace.DeleteFiles
    namespace: company.team
    files: "glob:/queries/*"
  - id: conflict
    type: io.kestra.plugin.core.namespace.UploadFiles
    namespace: company.team
    conflict: ERROR
    filesMap:
      /docs/readme.txt: "{{ outputs.make.outputFiles['readme.txt'] }}"
"""


def test_files_go_up_to_the_namespace_come_back_and_go() -> None:
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(FLOW)
        execution = kite.run("company.team", "ns_files")
        logs = {e.task_id: e.message for e in kite.services.executions.logs(execution.id) if e.task_id}
        storage = kite.services.resources.storage
        left = sorted(o.uri.rsplit("/_files/", 1)[-1] for o in storage.list("kestra:///company/team/_files/"))
    runs = {run.task_id: run for run in execution.task_runs}
    assert sorted(runs["download"].outputs["files"]) == ["/queries/a.sql", "/queries/b.sql"]
    assert logs["read"] == "select 2 / select 1"
    assert left == ["docs/readme.txt"]
    assert runs["conflict"].state.current.value == "FAILED"
    assert "File '/docs/readme.txt' already exists in namespace 'company.team'" in logs["conflict"]
