"""The `Aws` port of AWS tasks: calls as the worker's role, or as the keys and region a task gives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from engine.resources import AwsConnection, AwsError
from infra.aws.model_loader import new_session
from infra.aws.session import AwsSession
from infra.aws.task_aws import BotoAws


@pytest.fixture
def aws() -> Iterator[BotoAws]:
    with mock_aws():
        session = new_session()
        session.set_credentials("worker", "worker")
        session.set_config_variable("region", "us-east-1")
        yield BotoAws(AwsSession(session))


def test_a_call_as_the_worker_and_one_with_the_tasks_own_keys_and_region(aws: BotoAws) -> None:
    worker = AwsConnection()
    own = AwsConnection(region="eu-west-1", access_key_id="AKIA", secret_key_id="secret")
    aws.call(worker, "sqs", "create_queue", {"QueueName": "here"})
    aws.call(own, "sqs", "create_queue", {"QueueName": "there"})
    here = aws.call(worker, "sqs", "list_queues", {})["QueueUrls"]
    there = aws.call(own, "sqs", "list_queues", {})["QueueUrls"]
    assert [url.rsplit("/", 1)[1] for url in here] == ["here"]
    assert [url.rsplit("/", 1)[1] for url in there] == ["there"]


def test_an_operation_the_service_has_not_is_an_aws_error(aws: BotoAws) -> None:
    with pytest.raises(AwsError, match="sqs has no operation fly"):
        aws.call(AwsConnection(), "sqs", "fly", {})
