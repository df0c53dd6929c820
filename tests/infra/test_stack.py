"""The embedded stack creates what template.yaml declares, read here with cfn-lint's own decoder so that
the stack's YAML loader is checked too."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.decode import decode_str

import infra
from infra.aws.settings import AwsSettings
from infra.embedded.stack import EmbeddedStack
from infra.embedded.template import template_path

TEMPLATE = Path(infra.__file__).parent.parent / "template.yaml"


@pytest.fixture(scope="module")
def declared() -> dict[str, Any]:
    template, problems = decode_str(TEMPLATE.read_text())
    assert not problems
    assert template is not None
    return dict(template)


def of_type(declared: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {
        lid: resource.get("Properties", {})
        for lid, resource in declared["Resources"].items()
        if resource["Type"] == type_name
    }


@pytest.fixture
def stack() -> Iterator[EmbeddedStack]:
    with EmbeddedStack() as stack:
        yield stack


def test_the_packaged_template_is_the_repository_template() -> None:
    assert template_path().resolve() == TEMPLATE.resolve()


def test_tables_keys_and_indexes(declared: dict[str, Any], stack: EmbeddedStack) -> None:
    tables = of_type(declared, "AWS::DynamoDB::Table")
    assert tables
    existing = stack.session.dynamodb.list_tables()["TableNames"]
    assert sorted(existing) == sorted(stack.physical_name(lid) for lid in tables)
    for logical_id, props in tables.items():
        table = stack.session.dynamodb.describe_table(TableName=stack.physical_name(logical_id))["Table"]
        assert table["KeySchema"] == props["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(
            props["AttributeDefinitions"], key=str
        )
        assert table["BillingModeSummary"]["BillingMode"] == props["BillingMode"]
        indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
        assert set(indexes) == {i["IndexName"] for i in props.get("GlobalSecondaryIndexes", [])}
        for index in props.get("GlobalSecondaryIndexes", []):
            assert indexes[index["IndexName"]]["KeySchema"] == index["KeySchema"]
            assert indexes[index["IndexName"]]["Projection"] == index["Projection"]


def test_queues_with_fifo_and_redrive(declared: dict[str, Any], stack: EmbeddedStack) -> None:
    queues = of_type(declared, "AWS::SQS::Queue")
    sqs = stack.session.sqs
    assert len(sqs.list_queues()["QueueUrls"]) == len(queues)
    for logical_id, props in queues.items():
        url = stack.queue_urls[logical_id]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["QueueArn"] == stack.queue_arn(logical_id)
        assert attributes.get("FifoQueue", "false") == str(props.get("FifoQueue", False)).lower()
        if "VisibilityTimeout" in props:
            assert attributes["VisibilityTimeout"] == str(props["VisibilityTimeout"])
        if "ContentBasedDeduplication" in props:
            assert attributes["ContentBasedDeduplication"] == str(props["ContentBasedDeduplication"]).lower()
        redrive = props.get("RedrivePolicy")
        if redrive is None:
            assert "RedrivePolicy" not in attributes
            continue
        policy = json.loads(attributes["RedrivePolicy"])
        assert policy["deadLetterTargetArn"] == stack.queue_arn(
            redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        )
        assert int(policy["maxReceiveCount"]) == int(redrive["maxReceiveCount"])


def test_bucket_and_schedule_group(declared: dict[str, Any], stack: EmbeddedStack) -> None:
    buckets = [b["Name"] for b in stack.session.s3.list_buckets()["Buckets"]]
    assert buckets == [stack.settings.bucket]
    assert len(of_type(declared, "AWS::S3::Bucket")) == 1
    groups = stack.session.scheduler.list_schedule_groups()["ScheduleGroups"]
    assert stack.settings.schedule_group in [g["Name"] for g in groups]
    assert len(of_type(declared, "AWS::Scheduler::ScheduleGroup")) == 1


def test_no_lambda_functions_or_event_source_mappings(stack: EmbeddedStack) -> None:
    lambda_client = stack.session.session.create_client("lambda")
    assert lambda_client.list_functions()["Functions"] == []
    assert lambda_client.list_event_source_mappings()["EventSourceMappings"] == []


def test_settings_are_the_functions_environment(declared: dict[str, Any], stack: EmbeddedStack) -> None:
    variables = declared["Globals"]["Function"]["Environment"]["Variables"]
    assert set(stack.settings.as_env()) == set(variables)
    assert AwsSettings.from_env() == stack.settings


def test_fake_credentials_and_settings_only_inside_the_stack() -> None:
    before = dict(os.environ)
    with EmbeddedStack(region="eu-west-3") as stack:
        assert os.environ["AWS_ACCESS_KEY_ID"] != before.get("AWS_ACCESS_KEY_ID")
        assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-3"
        assert os.environ["KITE_BUCKET"] == stack.settings.bucket
    assert dict(os.environ) == before


def test_a_stack_starts_well_under_a_second() -> None:
    with EmbeddedStack():
        pass
    started = time.perf_counter()
    with EmbeddedStack():
        pass
    assert time.perf_counter() - started < 0.5
