"""io.kestra.plugin.aws.sqs.Publish, sns.Publish and eventbridge.PutEvents: messages and events, from
the task's list or from an Ion file of rows (`kestra://`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from engine.expressions.errors import EvalError
from engine.expressions.ion import ion_value
from engine.task_api import RunContext, TaskFailedError, task_type
from engine.tasks.aws_connection import AwsTask

_BATCH = 10  # SQS's, SNS's and EventBridge's most entries a request


def _rows(ctx: RunContext, source: str | list[dict[str, Any]] | dict[str, Any]) -> list[dict[str, Any]]:
    """The task's own list (or map), or the rows of an Ion file."""
    if isinstance(source, dict):
        source = [source]
    if isinstance(source, list):
        return [ctx.render_value(row, "from") for row in source]
    uri = ctx.render(source, "from")
    rows = []
    for line in ctx.read_file(uri).decode("utf-8").splitlines():
        if line.strip():
            try:
                value = ion_value(line)
            except EvalError as exc:
                raise TaskFailedError(f"Unable to read the row `{line}`: {exc}") from None
            rows.append(value if isinstance(value, dict) else {"data": value})
    return rows


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@task_type("io.kestra.plugin.aws.sqs.Publish")
class SqsPublish(AwsTask):
    queue_url: str = Field(alias="queueUrl")
    from_: str | list[dict[str, Any]] | dict[str, Any] = Field(alias="from")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        url = ctx.render(self.queue_url, "queueUrl")
        rows = _rows(ctx, self.from_)
        for start in range(0, len(rows), _BATCH):
            entries = []
            for index, row in enumerate(rows[start : start + _BATCH]):
                entry: dict[str, Any] = {"Id": str(index), "MessageBody": _text(row.get("data", ""))}
                if row.get("delaySeconds") is not None:
                    entry["DelaySeconds"] = int(row["delaySeconds"])
                if row.get("groupId") is not None:
                    entry["MessageGroupId"] = str(row["groupId"])
                if row.get("deduplicationId") is not None:
                    entry["MessageDeduplicationId"] = str(row["deduplicationId"])
                entries.append(entry)
            response = self.call(ctx, "sqs", "send_message_batch", {"QueueUrl": url, "Entries": entries})
            if response.get("Failed"):
                raise TaskFailedError(f"SQS refused messages: {response['Failed']}")
        return {"messagesCount": len(rows)}


@task_type("io.kestra.plugin.aws.sns.Publish")
class SnsPublish(AwsTask):
    topic_arn: str = Field(alias="topicArn")
    from_: str | list[dict[str, Any]] | dict[str, Any] = Field(alias="from")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        arn = ctx.render(self.topic_arn, "topicArn")
        rows = _rows(ctx, self.from_)
        for row in rows:
            params: dict[str, Any] = {"TopicArn": arn, "Message": _text(row.get("data", ""))}
            if row.get("subject") is not None:
                params["Subject"] = str(row["subject"])
            if row.get("groupId") is not None:
                params["MessageGroupId"] = str(row["groupId"])
            if row.get("deduplicationId") is not None:
                params["MessageDeduplicationId"] = str(row["deduplicationId"])
            self.call(ctx, "sns", "publish", params)
        return {"messagesCount": len(rows)}


@task_type("io.kestra.plugin.aws.eventbridge.PutEvents")
class PutEvents(AwsTask):
    entries: list[dict[str, Any]] | str
    fail_on_unsuccessful_events: bool = Field(True, alias="failOnUnsuccessfulEvents")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        rows = _rows(ctx, self.entries)
        results: list[dict[str, Any]] = []
        failed = 0
        for start in range(0, len(rows), _BATCH):
            batch = [_event(row) for row in rows[start : start + _BATCH]]
            response = self.call(ctx, "events", "put_events", {"Entries": batch})
            failed += int(response.get("FailedEntryCount") or 0)
            results += [
                {
                    "eventId": e.get("EventId"),
                    "errorCode": e.get("ErrorCode"),
                    "errorMessage": e.get("ErrorMessage"),
                }
                for e in response.get("Entries") or ()
            ]
        if failed and self.fail_on_unsuccessful_events:
            raise TaskFailedError(f"{failed} of {len(rows)} events were not put")
        return {"entryCount": len(rows), "failedEntryCount": failed, "entries": results}


def _event(row: Mapping[str, Any]) -> dict[str, Any]:
    """An entry as EventBridge takes it; the default bus unless one is named."""
    entry: dict[str, Any] = {
        "Source": row.get("source"),
        "DetailType": row.get("detailType"),
        "Detail": _text(row.get("detail", {})),
        "Resources": row.get("resources") or [],
    }
    if row.get("eventBusName"):
        entry["EventBusName"] = row["eventBusName"]
    return entry
