"""The embedded stack: moto in-process, with the resources template.yaml declares (design §5).

Resources are created with botocore from the template's properties (moto's CloudFormation skips the
Scheduler and would create event source mappings that swallow messages). Functions are not created:
the pump calls the handlers in-process.
"""

from __future__ import annotations

import json
import os
from functools import cache
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from engine.resources import Clock
from infra.aws.blobs import S3Blobs
from infra.aws.execution_store import DynamoExecutionStore
from infra.aws.flow_repository import DynamoFlowRepository
from infra.aws.message_bus import SqsMessageBus
from infra.aws.model_loader import new_session
from infra.aws.session import AwsSession, RequestStats
from infra.aws.settings import AwsSettings
from infra.aws.storage import S3Storage
from infra.embedded import moto_dynamodb, moto_sqs, moto_threads
from infra.embedded.template import QueueSpec, StackTemplate, load_template
from infra.system.clock import SystemClock

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType

ACCOUNT_ID: str = DEFAULT_ACCOUNT_ID


@cache
def _boto_session(region: str) -> botocore.session.Session:
    # Shared by every stack of the process: a new Session reloads botocore's service models (~100 ms).
    session = new_session()
    session.set_credentials("testing", "testing")
    session.set_config_variable("region", region)
    return session


class EmbeddedStack:
    """`with EmbeddedStack() as stack:` gives a fresh, empty copy of the stack in moto."""

    def __init__(
        self,
        name: str = "kite",
        region: str = "us-east-1",
        clock: Clock | None = None,
        template: StackTemplate | None = None,
    ) -> None:
        self.name = name
        self.region = region
        self.clock: Clock = clock or SystemClock()
        self.template = template or load_template()
        self.stats = RequestStats()
        self.session = AwsSession(_boto_session(region), self.stats)
        self.queue_urls: dict[str, str] = {}
        """Queue URL by logical id."""
        self._resolved: dict[str, dict[str, str]] = {}
        self._settings: AwsSettings | None = None
        self._mock: Any = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def settings(self) -> AwsSettings:
        if self._settings is None:
            raise RuntimeError("the embedded stack is not running: use it as a context manager")
        return self._settings

    def __enter__(self) -> EmbeddedStack:
        # mock_aws sets fake credentials in the environment for its lifetime; the region is ours to set.
        self._set_env({"AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region})
        moto_dynamodb.install()
        moto_sqs.install()
        moto_threads.install()
        self._mock = mock_aws()
        self._mock.start()
        try:
            self._create_resources()
            self._settings = AwsSettings.from_env(
                {name: self._resolve(value) for name, value in self.template.environment.items()}
            )
        except BaseException:
            self.__exit__(None, None, None)
            raise
        # Handlers called by the pump build their adapters from the environment, as in Lambda.
        self._set_env(self._settings.as_env())
        self.stats.reset()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._mock.stop()
        self._mock = None
        self._settings = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    # Adapters

    def blobs(self) -> S3Blobs:
        return S3Blobs(self.session, self.settings.bucket)

    def execution_store(self) -> DynamoExecutionStore:
        return DynamoExecutionStore(self.session, self.settings.executions_table, self.blobs())

    def flow_repository(self) -> DynamoFlowRepository:
        return DynamoFlowRepository(self.session, self.settings.flows_table)

    def message_bus(self) -> SqsMessageBus:
        return SqsMessageBus(self.session, self.settings, self.blobs(), self.clock)

    def storage(self) -> S3Storage:
        return S3Storage(self.blobs())

    def queue_arn(self, logical_id: str) -> str:
        return self._resolved[logical_id]["Arn"]

    def physical_name(self, logical_id: str) -> str:
        return f"{self.name}-{logical_id}"

    # Provisioning

    def _create_resources(self) -> None:
        ddb, sqs, s3 = self.session.dynamodb, self.session.sqs, self.session.s3
        for table in self.template.tables:
            name = self.physical_name(table.logical_id)
            params: dict[str, Any] = {
                "TableName": name,
                "AttributeDefinitions": table.attribute_definitions,
                "KeySchema": table.key_schema,
                "BillingMode": table.billing_mode,
            }
            if table.global_secondary_indexes:
                params["GlobalSecondaryIndexes"] = table.global_secondary_indexes
            ddb.create_table(**params)
            self._resolved[table.logical_id] = {"Ref": name}
        for queue in self.template.queues:
            name = self.physical_name(queue.logical_id) + (".fifo" if queue.fifo else "")
            url = sqs.create_queue(QueueName=name, Attributes=self._queue_attributes(queue))["QueueUrl"]
            arn = f"arn:aws:sqs:{self.region}:{ACCOUNT_ID}:{name}"
            self.queue_urls[queue.logical_id] = url
            self._resolved[queue.logical_id] = {"Ref": url, "Arn": arn, "QueueName": name}
        for logical_id in self.template.buckets:
            # Bucket names are global in S3 and lower-case only.
            name = self.physical_name(logical_id).lower()
            if self.region == "us-east-1":
                s3.create_bucket(Bucket=name)
            else:
                s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})  # type: ignore[typeddict-item]
            self._resolved[logical_id] = {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}
        for logical_id in self.template.schedule_groups:
            name = self.physical_name(logical_id)
            self.session.scheduler.create_schedule_group(Name=name)
            self._resolved[logical_id] = {"Ref": name}
        for name, default in self.template.parameters.items():
            self._resolved[name] = {"Ref": default}
        for logical_id in self.template.roles:
            # Nothing checks IAM locally; the role only needs a well-formed ARN to pass around.
            name = self.physical_name(logical_id)
            self._resolved[logical_id] = {"Ref": name, "Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"}

    def _queue_attributes(self, queue: QueueSpec) -> dict[QueueAttributeNameType, str]:
        attributes = dict(queue.attributes)
        if queue.dead_letter_queue is not None:
            dead_letter_arn = self.queue_arn(queue.dead_letter_queue)
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": queue.max_receive_count}
            )
        return cast("dict[QueueAttributeNameType, str]", attributes)

    def _resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Ref" in value:
            return self._resolved[value["Ref"]]["Ref"]
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self._resolved[logical_id][attribute]
        raise ValueError(f"cannot resolve {value!r} locally")

    def _set_env(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value
