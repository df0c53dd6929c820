"""botocore's models read through `ModelLoader`: the same data as botocore's own loader, for less of the cold
start; and no Lambda handler imports boto3 (issue 12)."""

from __future__ import annotations

import subprocess
import sys

import botocore.session
import pytest
from botocore.exceptions import DataNotFoundError, UnknownServiceError
from moto import mock_aws

from infra.aws.model_loader import new_session
from infra.embedded.template import load_template


@pytest.mark.parametrize(
    ("service", "type_name"),
    [("dynamodb", "service-2"), ("sqs", "service-2"), ("s3", "endpoint-rule-set-1"), ("sns", "paginators-1")],
)
def test_a_model_reads_as_botocore_reads_it(service: str, type_name: str) -> None:
    ours = new_session().get_component("data_loader")
    theirs = botocore.session.get_session().get_component("data_loader")
    assert ours.load_service_model(service, type_name) == theirs.load_service_model(service, type_name)


def test_the_endpoints_and_defaults_read_as_botocore_reads_them() -> None:
    ours = new_session().get_component("data_loader")
    theirs = botocore.session.get_session().get_component("data_loader")
    for name in ("endpoints", "partitions", "sdk-default-configuration"):
        assert ours.load_data(name) == theirs.load_data(name)


def test_an_unknown_service_is_still_refused() -> None:
    session = new_session()
    with pytest.raises((UnknownServiceError, DataNotFoundError)):
        session.create_client("no-such-service", region_name="us-east-1")


def test_clients_from_it_make_calls() -> None:
    with mock_aws():
        session = new_session()
        sqs = session.create_client(
            "sqs", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
        )
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["hello"]


def test_the_data_path_setting_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", "/somewhere/models")
    loader = new_session().get_component("data_loader")
    assert loader.search_paths[0] == "/somewhere/models"


def test_no_lambda_handler_imports_boto3_or_yaml() -> None:
    # PyYAML too: a step reads its flow's stored document (engine/flow/document.py), not its source.
    modules = sorted({f.handler.rpartition(".")[0] for f in load_template().functions})
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in ('boto3', 's3transfer', 'yaml') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "[]"
