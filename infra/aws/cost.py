"""AWS list prices (us-east-1, on-demand, 2026) and what a set of requests costs.

Prices per request; DynamoDB per capacity unit. Operations missing from the table are not billed per
request (control plane, or bookkeeping that only the local pump does).
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.aws.session import StatsSnapshot

PER_MILLION = 1_000_000
DYNAMODB_WRITE_UNIT = 0.625 / PER_MILLION
DYNAMODB_READ_UNIT = 0.125 / PER_MILLION
SQS_STANDARD_REQUEST = 0.40 / PER_MILLION
SQS_FIFO_REQUEST = 0.50 / PER_MILLION
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000
SCHEDULER_INVOCATION = 1.00 / PER_MILLION
LAMBDA_REQUEST = 0.20 / PER_MILLION
LAMBDA_GB_SECOND_ARM = 0.0000133334
STEP_FUNCTIONS_TRANSITION = 25.0 / PER_MILLION

# SQS requests are billed alike whatever the queue type; FIFO costs more, but the stats do not say
# which queue a call went to, so the dearer price is used for every SQS call.
_PER_REQUEST = {
    ("sqs", "SendMessage"): SQS_FIFO_REQUEST,
    ("sqs", "SendMessageBatch"): SQS_FIFO_REQUEST,
    ("sqs", "ReceiveMessage"): SQS_FIFO_REQUEST,
    ("sqs", "DeleteMessage"): SQS_FIFO_REQUEST,
    ("sqs", "DeleteMessageBatch"): SQS_FIFO_REQUEST,
    ("sqs", "ChangeMessageVisibility"): SQS_FIFO_REQUEST,
    ("sqs", "ChangeMessageVisibilityBatch"): SQS_FIFO_REQUEST,
    ("s3", "PutObject"): S3_PUT,
    ("s3", "GetObject"): S3_GET,
    ("s3", "HeadObject"): S3_GET,
    ("scheduler", "CreateSchedule"): SCHEDULER_INVOCATION,
}


@dataclass(frozen=True, slots=True)
class LambdaUsage:
    """Invocations of the SQS-triggered functions. Each one also costs the event source mapping's
    ReceiveMessage and DeleteMessageBatch, which the local pump makes outside the app's stats."""

    invocations: int
    # Assumed, not measured: moto's latency dwarfs the handlers' own time on one machine.
    average_ms: float = 60.0
    memory_gb: float = 0.5

    @property
    def dollars(self) -> float:
        seconds = self.invocations * self.average_ms / 1000
        polling = 2 * self.invocations * SQS_FIFO_REQUEST
        return self.invocations * LAMBDA_REQUEST + seconds * self.memory_gb * LAMBDA_GB_SECOND_ARM + polling


@dataclass(frozen=True, slots=True)
class Cost:
    requests: float
    dynamodb: float
    lambda_: float

    @property
    def total(self) -> float:
        return self.requests + self.dynamodb + self.lambda_


def cost_of(stats: StatsSnapshot, lambdas: LambdaUsage) -> Cost:
    requests = sum(n * _PER_REQUEST.get(key, 0.0) for key, n in stats.calls.items())
    dynamodb = stats.write_units * DYNAMODB_WRITE_UNIT + stats.read_units * DYNAMODB_READ_UNIT
    return Cost(requests, dynamodb, lambdas.dollars)


def billed(service: str, operation: str) -> bool:
    return (service, operation) in _PER_REQUEST or service == "dynamodb"
