"""Kestra 1.x's search filters, `filters[field][OPERATION]=value` (`filters[labels][EQUALS][key]=value` for a
label), and the older plain parameters they replaced: read, checked against what the searched resource
supports (Kestra's `QueryFilter.Field` and `Resource` lists, 400 otherwise), and matched in memory.

Every filter must hold. An operation Kite cannot evaluate is refused, never ignored: a search that drops a
filter would return what the caller asked to leave out, and a bulk command by query would act on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from msgspec import Struct

from engine.expressions.errors import EvalError
from engine.expressions.patterns import pattern
from engine.model.durations import parse_duration
from engine.model.execution import Execution
from engine.model.namespaces import in_namespace
from engine.model.serde import parse_instant
from engine.ports import ExecutionStore
from functions.api.errors import ApiError
from functions.api.requests import query_pairs


class Op(StrEnum):
    EQUALS = "EQUALS"
    NOT_EQUALS = "NOT_EQUALS"
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"
    GREATER_THAN_OR_EQUAL_TO = "GREATER_THAN_OR_EQUAL_TO"
    LESS_THAN_OR_EQUAL_TO = "LESS_THAN_OR_EQUAL_TO"
    IN = "IN"
    NOT_IN = "NOT_IN"
    STARTS_WITH = "STARTS_WITH"
    ENDS_WITH = "ENDS_WITH"
    CONTAINS = "CONTAINS"
    REGEX = "REGEX"
    PREFIX = "PREFIX"


_EQUALITY = (Op.EQUALS, Op.NOT_EQUALS)
_TEXT = (*_EQUALITY, Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH, Op.IN, Op.NOT_IN)
_NAME = (*_TEXT, Op.REGEX, Op.PREFIX)
_DATE = (*_EQUALITY, Op.GREATER_THAN, Op.LESS_THAN, Op.GREATER_THAN_OR_EQUAL_TO, Op.LESS_THAN_OR_EQUAL_TO)

# Kestra's fields: the name a query uses → (its enum name in messages, the operations it takes).
FIELDS: dict[str, tuple[str, tuple[Op, ...]]] = {
    "q": ("QUERY", _EQUALITY),
    "scope": ("SCOPE", _EQUALITY),
    "namespace": ("NAMESPACE", _NAME),
    "kind": ("KIND", (*_EQUALITY, Op.IN, Op.NOT_IN)),
    "labels": ("LABELS", (*_EQUALITY, Op.IN, Op.NOT_IN, Op.CONTAINS)),
    "flowId": ("FLOW_ID", _NAME),
    "startDate": ("START_DATE", _DATE),
    "endDate": ("END_DATE", _DATE),
    "state": ("STATE", (*_EQUALITY, Op.IN, Op.NOT_IN)),
    "timeRange": ("TIME_RANGE", (Op.EQUALS,)),
    "triggerExecutionId": ("TRIGGER_EXECUTION_ID", _TEXT),
    "triggerId": ("TRIGGER_ID", _TEXT),
    "executionId": ("EXECUTION_ID", _TEXT),
    "childFilter": ("CHILD_FILTER", _EQUALITY),
    "level": ("MIN_LEVEL", _EQUALITY),
    "updated": ("UPDATED", _DATE),
}

_DATE_FIELDS = frozenset(name for name, (_, ops) in FIELDS.items() if ops == _DATE)


class Resource(StrEnum):
    """What is searched, with the fields Kestra lets a search of it use."""

    EXECUTION = "EXECUTION"
    FLOW = "FLOW"
    LOG = "LOG"
    TRIGGER = "TRIGGER"
    KV_METADATA = "KV_METADATA"

    @property
    def fields(self) -> tuple[str, ...]:
        return _RESOURCE_FIELDS[self]

    def accepts(self, field: str) -> bool:
        # Kestra's UI sends `timeRange` where it searches by date; its own controller reads it apart.
        return field in self.fields or (field == "timeRange" and self in (Resource.EXECUTION, Resource.LOG))


_RESOURCE_FIELDS: dict[Resource, tuple[str, ...]] = {
    Resource.EXECUTION: (
        *("q", "scope", "flowId", "startDate", "endDate", "state", "labels", "triggerExecutionId"),
        *("childFilter", "namespace", "kind"),
    ),
    Resource.FLOW: ("labels", "namespace", "q", "scope", "flowId"),
    Resource.LOG: (
        *("q", "scope", "namespace", "startDate", "endDate", "flowId", "triggerId", "level"),
        "executionId",
    ),
    Resource.TRIGGER: ("q", "scope", "namespace", "flowId", "triggerId"),
    Resource.KV_METADATA: ("q", "namespace", "updated"),
}

# The older plain parameters (`namespace=…`, `labels=k:v`, `state=A&state=B`), as the filter each stood for.
LEGACY: dict[str, Op] = {
    "q": Op.EQUALS,
    "scope": Op.IN,
    "namespace": Op.PREFIX,
    "flowId": Op.EQUALS,
    "startDate": Op.GREATER_THAN_OR_EQUAL_TO,
    "endDate": Op.LESS_THAN_OR_EQUAL_TO,
    "state": Op.IN,
    "labels": Op.EQUALS,
    "timeRange": Op.EQUALS,
    "triggerExecutionId": Op.EQUALS,
    "childFilter": Op.EQUALS,
    "triggerId": Op.EQUALS,
    "executionId": Op.EQUALS,
    "minLevel": Op.EQUALS,
}
_LEGACY_NAMES = {"minLevel": "level"}

SYSTEM_NAMESPACE = "system"  # Kestra's `kestra.system-flows.namespace`


class Filter(Struct, frozen=True):
    field: str
    op: Op
    value: str
    key: str | None = None  # a label's key


class Filters:
    """The filters of one search request."""

    def __init__(self, filters: Iterable[Filter]) -> None:
        self.all = tuple(filters)
        # Parsed once, not once per execution a search looks at; a bad one is refused at once.
        self._dates = {item: _date(item) for item in self.all if item.field in _DATE_FIELDS}

    @staticmethod
    def of(event: APIGatewayProxyEventV2, resource: Resource) -> Filters:
        """400 with every problem when a field or an operation is unknown or not for `resource`; 422 when a
        date is not one, or the start comes after the end."""
        found: list[Filter] = []
        plain: list[Filter] = []
        errors: list[str] = []
        pairs = query_pairs(event)
        for name, value in pairs:
            if name.startswith("filters["):
                parsed = _bracketed(name, value)
                if isinstance(parsed, str):
                    errors.append(parsed)
                    continue
                found.append(parsed)
            elif value and name in LEGACY and resource.accepts(_LEGACY_NAMES.get(name, name)):
                plain.append(_legacy(name, value, flow_given=any(n == "flowId" for n, _ in pairs)))
        # A repeated plain parameter of a list (`state=A&state=B`) is one IN of all its values.
        found += [item for item in plain if item.op != Op.IN]
        for field in dict.fromkeys(item.field for item in plain if item.op == Op.IN):
            values = [item.value for item in plain if item.field == field and item.op == Op.IN]
            found.append(Filter(field, Op.IN, ",".join(values)))
        for item in found:
            errors += _problems(item, resource)
        if errors:
            raise ApiError(
                400, "Invalid query filters: Provided query filters are invalid: " + ", ".join(errors)
            )
        filters = Filters(found)
        filters._check_dates()
        return filters

    def on(self, field: str) -> list[Filter]:
        return [item for item in self.all if item.field == field]

    def equal(self, field: str) -> str | None:
        """The value a field must equal, when one filter says so (what a store can look up by)."""
        values = [item.value for item in self.on(field) if item.op == Op.EQUALS]
        return values[0] if len(values) == 1 else None

    def text(self, field: str, actual: str | None) -> bool:
        return all(_text(item, actual) for item in self.on(field))

    def instant(self, field: str, actual: datetime | None) -> bool:
        return all(_instant(item.op, self._dates[item], actual) for item in self.on(field))

    def labels(self, actual: Mapping[str, str]) -> bool:
        return all(_labels(item, actual) for item in self.on("labels"))

    def query(self, *searched: str) -> bool:
        """`q`: contained in one of the searched texts, ignoring case (NOT_EQUALS: in none)."""
        for item in self.on("q"):
            found = any(item.value.lower() in text.lower() for text in searched)
            if found != (item.op == Op.EQUALS):
                return False
        return True

    def flow(self, namespace: str, flow_id: str) -> bool:
        """The namespace, flowId and scope filters, on what belongs to a flow."""
        return self.text("namespace", namespace) and self.text("flowId", flow_id) and self.scope(namespace)

    def executions(self, store: ExecutionStore) -> list[Execution]:
        """The store's executions by what it can look up (a flow, what an execution started), for the caller
        to apply every filter to."""
        return store.search(
            self.equal("namespace"), self.equal("flowId"), started_by=self.equal("triggerExecutionId")
        )

    def scope(self, namespace: str) -> bool:
        """USER: not a system flow's; SYSTEM: a system flow's."""
        scope = "SYSTEM" if namespace == SYSTEM_NAMESPACE else "USER"
        return self.text("scope", scope)

    def since(self, now: datetime) -> datetime | None:
        """The earliest start date a `timeRange` (an ISO-8601 duration back from now) leaves."""
        for item in self.on("timeRange"):
            try:
                return now - abs(parse_duration(item.value))
            except ValueError:
                raise ApiError(
                    422, f"Invalid entity: timeRange: '{item.value}' is not an ISO-8601 duration"
                ) from None
        return None

    def _check_dates(self) -> None:
        starts = [
            self._dates[i] for i in self.on("startDate") if i.op in (Op.EQUALS, Op.GREATER_THAN_OR_EQUAL_TO)
        ]
        ends = [self._dates[i] for i in self.on("endDate") if i.op in (Op.EQUALS, Op.LESS_THAN_OR_EQUAL_TO)]
        if any(start > end for start in starts for end in ends):
            raise ApiError(422, "Illegal argument: Start date must be before End Date")


def _legacy(name: str, value: str, *, flow_given: bool) -> Filter:
    field = _LEGACY_NAMES.get(name, name)
    if field == "labels":
        key, _, text = value.partition(":")
        return Filter(field, Op.EQUALS, text, key)
    if field == "namespace" and flow_given:
        return Filter(field, Op.EQUALS, value)  # Kestra: with a flow, its namespace exactly
    return Filter(field, LEGACY[name], value)


def _bracketed(name: str, value: str) -> Filter | str:
    """`filters[field][OP]` or `filters[field][OP][key]`; what is wrong with it otherwise."""
    parts = name.removeprefix("filters[").removesuffix("]").split("][")
    if len(parts) not in (2, 3):
        return f"Malformed filter parameter {name}"
    field, op = parts[0], parts[1]
    if op not in Op.__members__:
        return f"Unknown operation {op} for field {field}"
    key = parts[2] if len(parts) == 3 else None
    if field == "labels" and key is None and ":" in value and op != Op.CONTAINS:
        key, _, value = value.partition(":")
    return Filter(field, Op(op), value, key)


def _problems(item: Filter, resource: Resource) -> list[str]:
    known = FIELDS.get(item.field)
    if known is None:
        return [f"Unknown field {item.field}"]
    name, ops = known
    problems = []
    if item.op not in ops:
        supported = ", ".join(op.value for op in ops)
        problems.append(
            f"Operation {item.op} is not supported for field {name}. Supported operations are {supported}"
        )
    if not resource.accepts(item.field):
        supported = ", ".join(FIELDS[f][0] for f in resource.fields)
        problems.append(
            f"Field {name} is not supported for resource {resource}. Supported fields are {supported}"
        )
    return problems


def _text(item: Filter, actual: str | None) -> bool:
    value, op = item.value, item.op
    if op == Op.NOT_EQUALS:
        return actual != value
    if op == Op.NOT_IN:
        return actual not in value.split(",")
    if actual is None:
        return False
    match op:
        case Op.EQUALS:
            return actual == value
        case Op.IN:
            return actual in value.split(",")
        case Op.CONTAINS:
            return value.lower() in actual.lower()
        case Op.STARTS_WITH:
            return actual.lower().startswith(value.lower())
        case Op.ENDS_WITH:
            return actual.lower().endswith(value.lower())
        case Op.PREFIX:
            return in_namespace(actual, value)
        case Op.REGEX:
            try:
                return pattern(value).search(actual) is not None
            except EvalError as exc:
                raise ApiError(400, f"Invalid query filters: {exc}") from None
    raise AssertionError(op)  # dates are `_instant`'s, and `_problems` refused the rest


def _date(item: Filter) -> datetime:
    try:
        return parse_instant(item.value)
    except ValueError:
        raise ApiError(
            422, f"Invalid entity: {item.field}: '{item.value}' is not an ISO-8601 date-time"
        ) from None


def _instant(op: Op, wanted: datetime, actual: datetime | None) -> bool:
    if op == Op.NOT_EQUALS:
        return actual != wanted
    if actual is None:
        return False
    compare: dict[Op, bool] = {
        Op.EQUALS: actual == wanted,
        Op.GREATER_THAN: actual > wanted,
        Op.LESS_THAN: actual < wanted,
        Op.GREATER_THAN_OR_EQUAL_TO: actual >= wanted,
        Op.LESS_THAN_OR_EQUAL_TO: actual <= wanted,
    }
    return compare[op]


def _labels(item: Filter, actual: Mapping[str, str]) -> bool:
    """A label filter names its key (`[key]` or `key:value`); CONTAINS without a key looks in every
    `key:value`."""
    if item.key is None:
        pairs = [f"{key}:{value}" for key, value in actual.items()]
        found = any(item.value.lower() in pair.lower() for pair in pairs)
        return found if item.op != Op.NOT_EQUALS else not found
    return _text(Filter(item.field, item.op, item.value), actual.get(item.key))
