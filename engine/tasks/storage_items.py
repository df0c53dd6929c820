"""io.kestra.plugin.core.storage.FilterItems and DeduplicateItems: an Ion file of rows (one value a line,
as Kestra's tasks write them), each row's fields the variables of an expression."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from engine.expressions import ExpressionError, is_truthy
from engine.expressions.errors import EvalError
from engine.expressions.ion import ion_value
from engine.task_api import PropertyRenderError, RunContext, RunnableTask, TaskFailedError, task_type


def _rows(ctx: RunContext, uri: str) -> list[tuple[str, dict[str, Any]]]:
    """Each non-empty line, and its fields (a row that is no struct has none)."""
    rows = []
    for line in ctx.read_file(uri).decode("utf-8").splitlines():
        if not line.strip():
            continue
        try:
            value = ion_value(line)
        except EvalError as exc:
            raise TaskFailedError(f"Unable to read the row `{line}`: {exc}") from None
        rows.append((line, value if isinstance(value, dict) else {}))
    return rows


@task_type("io.kestra.plugin.core.storage.FilterItems", "io.kestra.core.tasks.storages.FilterItems")
class FilterItems(RunnableTask):
    from_: str = Field(alias="from")
    filter_condition: str = Field(alias="filterCondition")
    filter_type: Literal["INCLUDE", "EXCLUDE"] = Field("INCLUDE", alias="filterType")
    error_or_null_behavior: Literal["FAIL", "INCLUDE", "EXCLUDE"] = Field("FAIL", alias="errorOrNullBehavior")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        kept: list[str] = []
        rows = _rows(ctx, ctx.render(self.from_, "from"))
        for line, fields in rows:
            if self._keeps(ctx, line, fields):
                kept.append(line)
        uri = ctx.put_file("filtered.ion", "".join(f"{line}\n" for line in kept).encode())
        return {"uri": uri, "processedItemsTotal": len(rows), "droppedItemsTotal": len(rows) - len(kept)}

    def _keeps(self, ctx: RunContext, line: str, fields: dict[str, Any]) -> bool:
        try:
            text = ctx.render_with(self.filter_condition, "filterCondition", fields).strip()
            failure = (
                None
                if text not in ("", "null")
                else f"Expression `{self.filter_condition}` return `null` on item `{line}`"
            )
        except (PropertyRenderError, ExpressionError) as exc:
            text, failure = "", str(exc)
        if failure is not None:
            if self.error_or_null_behavior == "FAIL":
                raise TaskFailedError(failure)
            return self.error_or_null_behavior == "INCLUDE"
        return is_truthy(text) == (self.filter_type == "INCLUDE")


@task_type("io.kestra.plugin.core.storage.DeduplicateItems", "io.kestra.core.tasks.storages.DeduplicateItems")
class DeduplicateItems(RunnableTask):
    """The last row of each key, in the order the rows came."""

    from_: str = Field(alias="from")
    expr: str

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        rows = _rows(ctx, ctx.render(self.from_, "from"))
        keys = [ctx.render_with(self.expr, "expr", fields) for _, fields in rows]
        last = {key: index for index, key in enumerate(keys)}
        kept = [line for index, (line, _) in enumerate(rows) if last[keys[index]] == index]
        uri = ctx.put_file("deduplicated.ion", "".join(f"{line}\n" for line in kept).encode())
        return {
            "uri": uri,
            "numKeys": len(last),
            "processedItemsTotal": len(rows),
            "droppedItemsTotal": len(rows) - len(kept),
        }
