"""io.kestra.plugin.core.flow.ForEachItem (spec part 1 §12.3): one subflow execution per batch of a file's
rows. Like Kestra, it runs as three task runs in sequence:

* `<id>_split` (a worker) splits `items` into batch files, `batch-<n><ext>` under its own folder;
* `<id>_items` starts one child per batch (executor/batches.py: a few per step, `concurrencyLimit` at
  once), with `taskrun.items` and `taskrun.iteration` in its inputs, and counts their ends;
* `<id>_merge` (a worker) gathers the outputs of the children that declare some into one file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field, PrivateAttr

from engine.model.state import StateType
from engine.task_api import (
    BatchExecutableTask,
    FlowableScope,
    FlowableTask,
    NewTaskRun,
    RunContext,
    RunnableTask,
    TaskBase,
    TaskFailedError,
    task_type,
)
from engine.tasks.storage import Rows
from engine.tasks.subflow import Subflow

_TYPE = "io.kestra.plugin.core.flow.ForEachItem"


class ForEachItemSplit(RunnableTask):
    items: str
    batch: Rows

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        uri = ctx.render(self.items, "items")
        if not uri.startswith("kestra://"):
            message = f"Unable to split the items from {uri}, this is not an internal storage URI!"
            ctx.log("ERROR", message)
            raise TaskFailedError(message)
        chunks = self.batch.split(ctx, ctx.read_file(uri))
        name = uri.rsplit("/", 1)[-1]
        suffix = name[name.rindex(".") :] if "." in name else ".txt"
        uris = [ctx.put_file(f"batch-{n}{suffix}", chunk) for n, chunk in enumerate(chunks, start=1)]
        if not uris:
            return {"numberOfBatches": 0}
        prefix = uris[0][: -len(f"1{suffix}")]
        return {
            "splits": ctx.put_file("splits.txt", "\n".join(uris).encode()),
            "numberOfBatches": len(uris),
            "batchUris": {"prefix": prefix, "suffix": suffix},
        }


class ForEachItemExecutable(Subflow, BatchExecutableTask):
    @property
    def batches_from(self) -> str:
        return self.id.removesuffix("_items") + "_split"


class ForEachItemMergeOutputs(RunnableTask):
    # `{{ outputs['<id>_items'] }}`: what the merge reads (so the worker is sent those outputs).
    items_outputs: str

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        items = ctx.render_typed(self.items_outputs, "outputs")
        for value in ctx.task_run.value_path:  # inside loops, outputs are keyed by the loops' values
            items = items.get(value) if isinstance(items, dict) else None
        base = items.get("subflowOutputsBaseUri") if isinstance(items, dict) else None
        if not isinstance(base, str):
            return None  # no child was started
        files = [uri for uri in ctx.list_files(f"kestra://{base}/") if uri.endswith("/outputs.ion")]
        if not files:
            return None
        files.sort(key=lambda uri: int(uri.rsplit("/", 2)[-2]))
        merged = b"".join(ctx.read_file(uri) for uri in files)
        return {"subflowOutputs": ctx.put_file("outputs.ion", merged)}


@task_type(_TYPE, "io.kestra.core.tasks.flows.ForEachItem")
class ForEachItem(FlowableTask):
    items: str = Field(min_length=1)
    batch: Rows = Field(default_factory=Rows)
    namespace: str = Field(min_length=1)
    flow_id: str = Field(alias="flowId", min_length=1)
    revision: int | None = Field(None, ge=1)
    inputs: dict[str, Any] | None = None
    labels: dict[str, Any] | list[dict[str, Any]] | None = None
    wait: bool = True
    transmit_failed: bool = Field(True, alias="transmitFailed")
    inherit_labels: bool = Field(False, alias="inheritLabels")
    schedule_date: str | None = Field(None, alias="scheduleDate")
    concurrency_limit: int = Field(0, alias="concurrencyLimit", ge=0)
    restart_behavior: str = Field(
        "RETRY_FAILED", alias="restartBehavior", pattern="^(RETRY_FAILED|NEW_EXECUTION)$"
    )
    _tasks: list[TaskBase] = PrivateAttr(default_factory=list)

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        split = ForEachItemSplit(
            id=f"{self.id}_split", type=f"{_TYPE}$ForEachItemSplit", items=self.items, batch=self.batch
        )
        executable = ForEachItemExecutable.model_validate(
            {
                "id": f"{self.id}_items",
                "type": f"{_TYPE}$ForEachItemExecutable",
                "namespace": self.namespace,
                "flowId": self.flow_id,
                "revision": self.revision,
                "inputs": self.inputs,
                "labels": self.labels,
                "wait": self.wait,
                "transmitFailed": self.transmit_failed,
                "inheritLabels": self.inherit_labels,
                "scheduleDate": self.schedule_date,
                "concurrencyLimit": self.concurrency_limit,
                "restartBehavior": self.restart_behavior,
            }
        )
        merge = ForEachItemMergeOutputs(
            id=f"{self.id}_merge",
            type=f"{_TYPE}$ForEachItemMergeOutputs",
            items_outputs="{{ outputs['" + self.id + "_items'] ?? {} }}",
        )
        self._tasks = [split, executable, merge]

    def main_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield "tasks", self._tasks

    def resolve_nexts(self, scope: FlowableScope) -> list[NewTaskRun]:
        return scope.next_for_scope(self._tasks, self.errors, self.finally_)

    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        return scope.resolve_state(self._tasks, self.errors, self.finally_)
