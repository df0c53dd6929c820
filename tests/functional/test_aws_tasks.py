"""Kestra's AWS tasks on the embedded stack: S3, SQS, SNS, DynamoDB and EventBridge on moto (issue 16)."""

from __future__ import annotations

import json

from infra.cli.common import local_functions
from infra.embedded.local import LocalKite

FLOW = """id: aws
namespace: company.team
inputs:
  - id: queue
    type: STRING
  - id: topic
    type: STRING
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["orders.csv"]
    commands:
      - printf 'id,total\\n1,42\\n' > orders.csv
  - id: upload
    type: io.kestra.plugin.aws.s3.Upload
    from: "{{ outputs.make.outputFiles['orders.csv'] }}"
    bucket: kite-data
    key: in/orders.csv
    contentType: text/csv
  - id: list
    type: io.kestra.plugin.aws.s3.List
    bucket: kite-data
    prefix: in/
  - id: copy
    type: io.kestra.plugin.aws.s3.Copy
    from: {bucket: kite-data, key: in/orders.csv}
    to: {bucket: kite-data, key: archive/orders.csv}
    delete: true
  - id: download
    type: io.kestra.plugin.aws.s3.Download
    bucket: kite-data
    key: archive/orders.csv
  - id: read
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(outputs.download.uri) | trim }}"
  - id: publish
    type: io.kestra.plugin.aws.sqs.Publish
    queueUrl: "{{ inputs.queue }}"
    from:
      - data: {order: 1}
      - data: plain text
  - id: notify
    type: io.kestra.plugin.aws.sns.Publish
    topicArn: "{{ inputs.topic }}"
    from: {data: done, subject: orders}
  - id: put
    type: io.kestra.plugin.aws.dynamodb.PutItem
    tableName: orders
    item: {id: "1", total: 42, tags: [a, b], paid: true}
  - id: get
    type: io.kestra.plugin.aws.dynamodb.GetItem
    tableName: orders
    key: {id: "1"}
  - id: query
    type: io.kestra.plugin.aws.dynamodb.Query
    tableName: orders
    keyConditionExpression: "id = :id"
    expressionAttributeValues: {":id": "1"}
  - id: events
    type: io.kestra.plugin.aws.eventbridge.PutEvents
    entries:
      - source: kite.orders
        detailType: OrderStored
        detail: {id: 1}
  - id: invoke
    type: io.kestra.plugin.aws.lambda.Invoke
    functionArn: arn:aws:lambda:eu-west-1:123456789012:function:greet
    functionPayload:
      properties:
        name: "{{ outputs.get.row.id }}"
  - id: greeted
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(outputs.invoke.uri) }}"
  - id: downloads
    type: io.kestra.plugin.aws.s3.Downloads
    bucket: kite-data
    prefix: archive/
    action: MOVE
    moveTo: {key: done/}
  - id: moved
    type: io.kestra.plugin.aws.s3.List
    bucket: kite-data
  - id: delete
    type: io.kestra.plugin.aws.s3.Delete
    bucket: kite-data
    key: done/orders.csv
"""


def test_s3_sqs_sns_dynamodb_and_eventbridge_tasks_in_one_flow() -> None:
    functions = local_functions(["greet=examples.functions.greet:handler"])
    with LocalKite(inline_budget=0, functions=functions) as kite:
        assert kite.stack is not None
        session = kite.stack.session.session
        region = kite.stack.session.region
        location = (
            {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        session.create_client("s3").create_bucket(Bucket="kite-data", **location)
        queue = session.create_client("sqs").create_queue(QueueName="orders")["QueueUrl"]
        topic = session.create_client("sns").create_topic(Name="orders")["TopicArn"]
        session.create_client("dynamodb").create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        kite.deploy(FLOW)
        execution = kite.run("company.team", "aws", {"queue": queue, "topic": topic})
        logs = {e.task_id: e.message for e in kite.services.executions.logs(execution.id) if e.task_id}
        received = session.create_client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)[
            "Messages"
        ]
        left = session.create_client("s3").list_objects(Bucket="kite-data").get("Contents", [])
    runs = {run.task_id: run for run in execution.task_runs}
    assert execution.state.current.value == "SUCCESS", [
        (r.task_id, r.state.current.value) for r in execution.task_runs
    ]
    assert [o["key"] for o in runs["list"].outputs["objects"]] == ["in/orders.csv"]
    assert logs["read"] == "id,total\n1,42"
    assert runs["download"].outputs["contentType"] == "text/csv"
    assert sorted(m["Body"] for m in received) == sorted([json.dumps({"order": 1}), "plain text"])
    assert runs["get"].outputs["row"] == {"id": "1", "total": 42, "tags": ["a", "b"], "paid": True}
    assert runs["query"].outputs["size"] == 1
    assert runs["events"].outputs["failedEntryCount"] == 0
    assert json.loads(logs["greeted"])["outputs"] == {"greeting": "Hello 1!", "letters": 1}
    assert [o["key"] for o in runs["downloads"].outputs["objects"]] == ["archive/orders.csv"]
    assert [o["key"] for o in runs["moved"].outputs["objects"]] == ["done/orders.csv"]
    assert left == []  # copied with delete, downloaded then moved, then deleted
