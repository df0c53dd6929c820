"""What the embedded stack needs from template.yaml: the data resources, the functions' queue wiring and
the settings the functions get. Read with a small YAML loader that understands CloudFormation's short
tags, so that running locally needs neither cfn-lint nor samtranslator."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct

import infra

TEMPLATE_ENV = "KITE_TEMPLATE"


def template_path() -> Path:
    """`$KITE_TEMPLATE`, else the copy packaged next to this module, else the repository's root."""
    configured = os.environ.get(TEMPLATE_ENV)
    if configured:
        return Path(configured)
    packaged = Path(__file__).with_name("template.yaml")
    if packaged.exists():
        return packaged
    return Path(infra.__file__).parent.parent / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


class TableSpec(Struct, frozen=True):
    logical_id: str
    attribute_definitions: list[dict[str, str]]
    key_schema: list[dict[str, str]]
    billing_mode: str
    global_secondary_indexes: list[dict[str, Any]]


class QueueSpec(Struct, frozen=True):
    logical_id: str
    fifo: bool
    attributes: dict[str, str]
    """SQS queue attributes, except the redrive policy."""
    dead_letter_queue: str | None
    max_receive_count: int | None


class FunctionSpec(Struct, frozen=True):
    logical_id: str
    handler: str
    timeout: int
    memory_size: int
    queues: dict[str, int]
    """Logical id of each queue that feeds the function, with the batch size."""
    http: bool = False
    """The function serves an HTTP API's routes (the target of its integration)."""


class RouteSpec(Struct, frozen=True):
    """An HTTP API route (`ANY /api/{proxy+}`) and how API Gateway authorizes it, which may depend on the
    template's parameters: see `authorization`."""

    route_key: str
    authorization_type: Any

    def authorization(self, template: StackTemplate, parameters: Mapping[str, str]) -> str:
        """NONE or AWS_IAM, with these parameter values (the defaults for the others)."""
        return str(template.evaluate(self.authorization_type, parameters))


class StackTemplate(Struct, frozen=True):
    tables: list[TableSpec]
    queues: list[QueueSpec]
    """Dead-letter queues before the queues that use them."""
    buckets: list[str]
    schedule_groups: list[str]
    roles: list[str]
    functions: list[FunctionSpec]
    environment: dict[str, Any]
    """The functions' shared environment variables, still with their intrinsic functions."""
    parameters: dict[str, str]
    """Each template parameter's default: what a `!Ref` to it stands for locally."""
    conditions: dict[str, Any]
    routes: list[RouteSpec]

    def evaluate(self, value: Any, parameters: Mapping[str, str]) -> Any:
        """A value with the conditions CloudFormation resolves (`Fn::If`, `Fn::Equals`, `Fn::Not`, `Ref` to
        a parameter), as deployed with `parameters` (and the defaults for the others)."""
        if not isinstance(value, dict) or len(value) != 1:
            return value
        ((kind, argument),) = value.items()
        if kind == "Ref" and argument in self.parameters:
            return parameters.get(argument, self.parameters[argument])
        if kind == "Condition":
            return self.evaluate(self.conditions[argument], parameters)
        if kind == "Fn::Equals":
            left, right = (self.evaluate(v, parameters) for v in argument)
            return left == right
        if kind == "Fn::Not":
            return not self.evaluate(argument[0], parameters)
        if kind == "Fn::If":
            name, when_true, when_false = argument
            return self.evaluate(
                when_true if self.evaluate({"Condition": name}, parameters) else when_false, parameters
            )
        raise ValueError(f"cannot evaluate {value!r} locally")


def load_template(path: Path | None = None) -> StackTemplate:
    return _load(str((path or template_path()).resolve()))


def read_document(path: Path) -> dict[str, Any]:
    """The template as data, CloudFormation's short tags (`!Ref X`) read as their long form."""
    with open(path, encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.load(stream, Loader=_CfnLoader)  # a SafeLoader subclass
    return document


@lru_cache(maxsize=4)
def _load(path: str) -> StackTemplate:
    document = read_document(Path(path))
    resources: dict[str, dict[str, Any]] = document["Resources"]
    function_globals: dict[str, Any] = document.get("Globals", {}).get("Function", {})

    def of_type(type_name: str) -> list[tuple[str, dict[str, Any]]]:
        return [(lid, r.get("Properties") or {}) for lid, r in resources.items() if r["Type"] == type_name]

    served = {_referenced(p["IntegrationUri"]) for _, p in of_type("AWS::ApiGatewayV2::Integration")}
    return StackTemplate(
        tables=[_table(lid, props) for lid, props in of_type("AWS::DynamoDB::Table")],
        queues=_dead_letter_first([_queue(lid, props) for lid, props in of_type("AWS::SQS::Queue")]),
        buckets=[lid for lid, _ in of_type("AWS::S3::Bucket")],
        schedule_groups=[lid for lid, _ in of_type("AWS::Scheduler::ScheduleGroup")],
        roles=[lid for lid, _ in of_type("AWS::IAM::Role")],
        parameters={n: str(p.get("Default", "")) for n, p in (document.get("Parameters") or {}).items()},
        functions=[
            _function(lid, function_globals | props, http=lid in served)
            for lid, props in of_type("AWS::Serverless::Function")
        ],
        environment=function_globals.get("Environment", {}).get("Variables", {}),
        conditions=document.get("Conditions") or {},
        routes=[
            RouteSpec(props["RouteKey"], props.get("AuthorizationType", "NONE"))
            for _, props in of_type("AWS::ApiGatewayV2::Route")
        ],
    )


def _table(logical_id: str, props: Mapping[str, Any]) -> TableSpec:
    return TableSpec(
        logical_id=logical_id,
        attribute_definitions=props["AttributeDefinitions"],
        key_schema=props["KeySchema"],
        billing_mode=props.get("BillingMode", "PROVISIONED"),
        global_secondary_indexes=props.get("GlobalSecondaryIndexes", []),
    )


def _queue(logical_id: str, props: Mapping[str, Any]) -> QueueSpec:
    redrive = props.get("RedrivePolicy")
    attributes = {
        name: _attribute_text(value)
        for name, value in props.items()
        if name not in ("RedrivePolicy", "QueueName", "Tags", "RedriveAllowPolicy")
    }
    return QueueSpec(
        logical_id=logical_id,
        fifo=bool(props.get("FifoQueue", False)),
        attributes=attributes,
        dead_letter_queue=_referenced(redrive["deadLetterTargetArn"]) if redrive else None,
        max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
    )


def _function(logical_id: str, props: Mapping[str, Any], *, http: bool) -> FunctionSpec:
    queues = {
        _referenced(event["Properties"]["Queue"]): int(event["Properties"].get("BatchSize", 10))
        for event in (props.get("Events") or {}).values()
        if event["Type"] == "SQS"
    }
    return FunctionSpec(
        logical_id=logical_id,
        handler=props["Handler"],
        timeout=int(props.get("Timeout", 3)),
        memory_size=int(props.get("MemorySize", 128)),
        queues=queues,
        http=http,
    )


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    raise ValueError(f"unsupported queue property value in template: {value!r}")


def _referenced(value: Any) -> str:
    """The logical id behind `!Ref X` or `!GetAtt X.Attr`."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise ValueError(f"expected !Ref or !GetAtt, got {value!r}")


def _dead_letter_first(queues: list[QueueSpec]) -> list[QueueSpec]:
    dead_letter = {q.dead_letter_queue for q in queues if q.dead_letter_queue}
    return sorted(queues, key=lambda q: q.logical_id not in dead_letter)
