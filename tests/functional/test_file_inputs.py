"""FILE inputs: uploads stored in the execution's internal storage, through `kite run` and the services."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.creation.inputs import InvalidInputsError
from engine.creation.uploads import Upload
from engine.flow.loader import InvalidFlowError
from infra.cli.main import main
from infra.embedded.local import LocalKite

FLOW = """
id: files
namespace: company.team
inputs:
  - id: data
    type: FILE
  - id: optional
    type: FILE
    required: false
tasks:
  - id: uri
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.data }}"
  - id: content
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.data) | trim }}"
"""

PAUSING = """
id: approval
namespace: company.team
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: report
        type: FILE
  - id: content
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.wait.onResume.report) }}"
"""


def test_kite_run_uploads_a_local_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "files.yaml"
    flow.write_text(FLOW)
    data = tmp_path / "orders.csv"
    data.write_text("id,amount\n1,10\n")
    assert main(["run", str(flow), "--fast-forward", "--json", "--file", f"data={data}"]) == 0
    execution = json.loads(capsys.readouterr().out)
    outputs = {r["taskId"]: r["outputs"]["value"] for r in execution["taskRunList"]}
    uri = f"kestra:///company/team/files/executions/{execution['id']}/inputs/data/orders.csv"
    assert execution["inputs"] == {"data": uri, "optional": None}
    assert outputs == {"uri": uri, "content": "id,amount\n1,10"}


def test_kite_run_refuses_a_missing_or_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "files.yaml"
    flow.write_text(FLOW)
    assert main(["run", str(flow)]) == 2
    assert "kite: Missing required input:data" in capsys.readouterr().err
    assert main(["run", str(flow), "--file", f"data={tmp_path / 'nope.csv'}"]) == 2
    assert "kite: cannot read --file data=" in capsys.readouterr().err


def test_kite_run_refuses_a_file_of_another_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "files.yaml"
    flow.write_text(FLOW.replace("type: FILE\n", "type: FILE\n    allowedFileExtensions: [.csv]\n", 1))
    data = tmp_path / "orders.xlsx"
    data.write_bytes(b"PK")
    assert main(["run", str(flow), "--file", f"data={data}"]) == 2
    assert capsys.readouterr().err.strip() == (
        "kite: Invalid value for input `data`. Cause: File type not allowed. Accepted extensions: .csv"
    )
    data = data.rename(tmp_path / "orders.csv")
    assert main(["run", str(flow), "--fast-forward", "--file", f"data={data}"]) == 0


def test_uploads_are_checked_and_stored_only_for_a_created_execution() -> None:
    with LocalKite() as kite:
        kite.deploy(FLOW)
        storage = kite.services.resources.storage
        with pytest.raises(InvalidInputsError, match=r"Can't upload file: empty\.csv"):
            kite.start_execution("company.team", "files", files={"data": Upload("empty.csv", b"")})
        # The optional FILE input is refused as a URI it is not: nothing of the other upload is kept.
        with pytest.raises(InvalidInputsError, match="Invalid value for input `optional`"):
            kite.start_execution(
                "company.team", "files", {"optional": "not a uri"}, files={"data": Upload("a.csv", b"a")}
            )
        assert not kite.services.store.search()
        # A sent name never chooses the folder.
        upload = Upload("../../x/a.csv", b"a")
        execution = kite.start_execution("company.team", "files", files={"data": upload})
        uri = execution.inputs["data"]
        assert uri.endswith(f"/executions/{execution.id}/inputs/data/a.csv")
        assert storage.get(uri) == b"a"


def test_resume_with_a_file() -> None:
    with LocalKite() as kite:
        kite.deploy(PAUSING)
        execution = kite.start_execution("company.team", "approval")
        assert kite.pump is not None
        kite.pump.run_until(lambda: kite.services.executions.get(execution.id).state.current == "PAUSED")
        kite.services.executions.resume(execution.id, files={"report": Upload("report.txt", b"all good")})
        final = kite.wait(execution.id)
    assert {r.task_id: r.outputs.get("value") for r in final.task_runs}["content"] == "all good"


DEPENDS = """id: deps
namespace: demo
inputs:
  - id: env
    type: SELECT
    values: [dev, prod]
    defaults: dev
  - id: region
    type: SELECT
    values: [eu, us]
    dependsOn: {inputs: [env], condition: "{{ inputs.env == 'prod' }}"}
  - id: zone
    type: STRING
    dependsOn: {inputs: [region]}
tasks:
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs }}"
"""


def test_depends_on_disables_an_input_whose_condition_does_not_hold() -> None:
    """Spec part 1 §6.3: a false condition, or a disabled dependency, disables the input: not required,
    not validated, not in `inputs`."""
    with LocalKite() as kite:
        kite.deploy(DEPENDS)
        dev = kite.run("demo", "deps", {})
        prod = kite.run("demo", "deps", {"env": "prod", "region": "us", "zone": "a"})
        with pytest.raises(InvalidInputsError, match="Missing required input:region"):
            kite.start_execution("demo", "deps", {"env": "prod"})
        with pytest.raises(
            InvalidFlowError, match="Input with id 'zone' depends on a non-existent input 'nope'"
        ):
            kite.deploy(DEPENDS.replace("inputs: [region]", "inputs: [nope]"))
    assert dev.task_runs.of_task("show")[0].outputs["value"] == '{"env":"dev"}'
    assert prod.task_runs.of_task("show")[0].outputs["value"] == '{"env":"prod","region":"us","zone":"a"}'
