"""AWS list prices (us-east-1, on-demand, 2026) and what a set of requests costs.

Prices per request; DynamoDB per capacity unit. Operations missing from the table are not billed per
request (control plane, or bookkeeping that only the local pump does).
"""

from __future__ import annotations

from msgspec import Struct

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


class LambdaUsage(Struct, frozen=True):
    """Invocations of the SQS-triggered functions. Each one also costs the event source mapping's
    ReceiveMessage and DeleteMessageBatch, which the local pump makes outside the app's stats."""

    invocations: int
    # Assumed, not measured: moto's latency dwarfs the handlers' own time on one machine.
    average_ms: float = 60.0
    memory_gb: float = 0.5

    @property
    def requests(self) -> float:
        return self.invocations * LAMBDA_REQUEST

    @property
    def duration(self) -> float:
        return self.invocations * self.average_ms / 1000 * self.memory_gb * LAMBDA_GB_SECOND_ARM

    @property
    def polling(self) -> float:
        return 2 * self.invocations * SQS_FIFO_REQUEST


class Cost(Struct, frozen=True):
    """Dollars, by what AWS bills them for: the floor of each path shows in its largest part."""

    sqs: float
    dynamodb: float
    lambda_requests: float
    lambda_duration: float
    scheduler: float
    s3: float

    @property
    def total(self) -> float:
        return sum(self.by_service().values())

    def by_service(self) -> dict[str, float]:
        return {
            "SQS": self.sqs,
            "DynamoDB": self.dynamodb,
            "Lambda requests": self.lambda_requests,
            "Lambda duration": self.lambda_duration,
            "Scheduler": self.scheduler,
            "S3": self.s3,
        }


def cost_of(stats: StatsSnapshot, lambdas: LambdaUsage) -> Cost:
    def service(name: str) -> float:
        return sum(n * _PER_REQUEST.get(key, 0.0) for key, n in stats.calls.items() if key[0] == name)

    return Cost(
        sqs=service("sqs") + lambdas.polling,
        dynamodb=stats.write_units * DYNAMODB_WRITE_UNIT + stats.read_units * DYNAMODB_READ_UNIT,
        lambda_requests=lambdas.requests,
        lambda_duration=lambdas.duration,
        scheduler=service("scheduler"),
        s3=service("s3"),
    )


def billed(service: str, operation: str) -> bool:
    return (service, operation) in _PER_REQUEST or service == "dynamodb"
