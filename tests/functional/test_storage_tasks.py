"""storage.* tasks over the execution's internal storage (S3 on moto), as Kestra's examples use them."""

from __future__ import annotations

from engine.model.execution import Execution
from infra.embedded.local import LocalKite

ROWS = "\n".join(f"row {i}" for i in range(1, 11)) + "\n"
PRINTF = ROWS.replace("\n", "\\n")  # printf's own escapes


def _run(tasks: str) -> tuple[Execution, dict[str, str]]:
    source = f"""id: files
namespace: company.team
tasks:
  - id: write
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["data.csv"]
    commands:
      - printf '{PRINTF}' > data.csv
{tasks}"""
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(source)
        execution = kite.run("company.team", "files")
        storage = kite.services.resources.storage
        contents = {}
        for run in execution.task_runs:
            for key in ("uri", "uris"):
                value = run.outputs.get(key)
                uris = value if isinstance(value, list) else [value] if value else []
                for index, uri in enumerate(uris):
                    if storage.exists(uri):
                        contents[f"{run.task_id}[{index}]"] = storage.get(uri).decode()
    return execution, contents


DATA = "{{ outputs.write.outputFiles['data.csv'] }}"


def test_split_concat_reverse_size_and_delete() -> None:
    execution, contents = _run(
        f"""  - id: by_rows
    type: io.kestra.plugin.core.storage.Split
    from: "{DATA}"
    rows: 4
  - id: by_partitions
    type: io.kestra.plugin.core.storage.Split
    from: "{DATA}"
    partitions: 3
  - id: by_bytes
    type: io.kestra.plugin.core.storage.Split
    from: "{DATA}"
    bytes: 12B
  - id: concat
    type: io.kestra.plugin.core.storage.Concat
    files: "{{{{ outputs.by_rows.uris }}}}"
    separator: "--\\n"
  - id: reverse
    type: io.kestra.plugin.core.storage.Reverse
    from: "{DATA}"
  - id: size
    type: io.kestra.plugin.core.storage.Size
    uri: "{DATA}"
  - id: delete
    type: io.kestra.plugin.core.storage.Delete
    uri: "{{{{ outputs.reverse.uri }}}}"
  - id: again
    type: io.kestra.plugin.core.storage.Delete
    uri: "{{{{ outputs.reverse.uri }}}}"
    errorOnMissing: true
"""
    )
    runs = {run.task_id: run for run in execution.task_runs}
    assert [contents[f"by_rows[{i}]"] for i in range(3)] == [
        "row 1\nrow 2\nrow 3\nrow 4\n",
        "row 5\nrow 6\nrow 7\nrow 8\n",
        "row 9\nrow 10\n",
    ]
    assert contents["by_partitions[0]"] == "row 1\nrow 4\nrow 7\nrow 10\n"
    assert len(runs["by_bytes"].outputs["uris"]) == 5  # 12 bytes: two 6-byte rows a file
    assert runs["by_rows"].outputs["uris"][0].endswith(".csv")
    assert contents["concat[0]"] == (
        "row 1\nrow 2\nrow 3\nrow 4\n--\nrow 5\nrow 6\nrow 7\nrow 8\n--\nrow 9\nrow 10\n--\n"
    )
    assert runs["size"].outputs == {"size": len(ROWS)}
    assert runs["delete"].outputs["deleted"] is True
    assert "reverse[0]" not in contents  # deleted
    assert runs["again"].state.current.value == "FAILED"


def test_reverse_keeps_the_rows_in_reverse_order() -> None:
    execution, contents = _run(
        f"""  - id: reverse
    type: io.kestra.plugin.core.storage.Reverse
    from: "{DATA}"
"""
    )
    assert execution.state.current.value == "SUCCESS"
    assert contents["reverse[0]"].splitlines() == [f"row {i}" for i in range(10, 0, -1)]


def test_purging_the_execution_s_files_removes_them_all() -> None:
    execution, contents = _run(
        f"""  - id: reverse
    type: io.kestra.plugin.core.storage.Reverse
    from: "{DATA}"
  - id: purge
    type: io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles
"""
    )
    assert execution.state.current.value == "SUCCESS"
    assert len(execution.task_runs.of_task("purge")[0].outputs["uris"]) == 2  # data.csv and the reversed file
    assert contents == {}


ITEMS = [
    '{key:"a",value:1}',
    '{key:"b",value:null}',
    '{key:"a",value:3}',
    '{key:"c",value:4}',
]


def test_filter_and_deduplicate_rows_of_an_ion_file() -> None:
    rows = "\\n".join(ITEMS) + "\\n"
    source = f"""id: items
namespace: company.team
tasks:
  - id: write
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["rows.ion"]
    commands:
      - printf '{rows}' > rows.ion
  - id: filter
    type: io.kestra.plugin.core.storage.FilterItems
    from: "{{{{ outputs.write.outputFiles['rows.ion'] }}}}"
    filterCondition: " {{{{ value == null }}}}"
    filterType: EXCLUDE
    errorOrNullBehavior: EXCLUDE
  - id: dedup
    type: io.kestra.plugin.core.storage.DeduplicateItems
    from: "{{{{ outputs.write.outputFiles['rows.ion'] }}}}"
    expr: "{{{{ key }}}}"
  - id: strict
    type: io.kestra.plugin.core.storage.FilterItems
    from: "{{{{ outputs.write.outputFiles['rows.ion'] }}}}"
    filterCondition: "{{{{ missing > 1 }}}}"
    allowFailure: true
"""
    with LocalKite(inline_budget=0) as kite:
        kite.deploy(source)
        execution = kite.run("company.team", "items")
        storage = kite.services.resources.storage
        runs = {run.task_id: run for run in execution.task_runs}
        filtered = storage.get(runs["filter"].outputs["uri"]).decode().splitlines()
        deduplicated = storage.get(runs["dedup"].outputs["uri"]).decode().splitlines()
    assert filtered == [ITEMS[0], ITEMS[2], ITEMS[3]]
    assert runs["filter"].outputs["droppedItemsTotal"] == 1
    assert deduplicated == [ITEMS[1], ITEMS[2], ITEMS[3]]
    assert runs["dedup"].outputs["numKeys"] == 3
    assert runs["strict"].state.current.value == "WARNING"
