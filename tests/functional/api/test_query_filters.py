"""Kestra 1.x's search filters (`filters[field][OPERATION]=value`) and the plain parameters they replaced,
through the REST API on the embedded stack: every operation a field takes is applied, and one it does not
take, or a field the resource has not, is a 400 with Kestra's message (never a filter silently dropped)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.api import auth
from functions.api.query_filters import Filter, Filters, Op
from infra.embedded.local import LocalKite
from tests.functional.api.test_api_events import Api

CHILD = """id: {flow_id}
namespace: {namespace}
labels:
  team: {team}
tasks:
  - id: say
    type: io.kestra.plugin.core.debug.Return
    format: hi
"""

PARENT = """id: parent
namespace: demo.api
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: demo.api.sub
    flowId: child
"""


@pytest.fixture(scope="module")
def searched() -> Iterator[tuple[Api, dict[str, str]]]:
    """Flows in `demo.api`, `demo.api.sub` and `demo.apix`, each run once, and a parent that calls the one
    in `demo.api.sub`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(auth.OPEN_ENV, "true")
        with LocalKite() as kite:
            client = Api(kite)
            ids = {}
            for namespace, flow_id, team in [
                ("demo.api", "one", "data"),
                ("demo.api.sub", "child", "web"),
                ("demo.apix", "other", "data"),
            ]:
                client.create_flow(CHILD.format(flow_id=flow_id, namespace=namespace, team=team))
                status, started = client.start(namespace, flow_id, {}, query=f"labels=team:{team}")
                assert status == 200, started
                ids[flow_id] = kite.wait(started["id"]).id
            client.create_flow(PARENT)
            parent = kite.wait(client.start("demo.api", "parent", {})[1]["id"])
            ids["parent"] = parent.id
            ids["called"] = parent.task_runs.of_task("call")[0].outputs["executionId"]
            yield client, ids


def _found(client: Api, path: str, query: str) -> set[str]:
    status, page = client.call("GET", path, query=query)
    assert status == 200, page
    return {item.get("id") or item.get("flowId") for item in page["results"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filters[namespace][EQUALS]=demo.api", {"one", "parent"}),
        ("filters[namespace][PREFIX]=demo.api", {"one", "child", "called", "parent"}),
        ("namespace=demo.api", {"one", "child", "called", "parent"}),  # the older parameter: a prefix
        ("namespace=demo.api&flowId=one", {"one"}),  # with a flow, its namespace exactly
        ("filters[namespace][STARTS_WITH]=demo.api", {"one", "child", "called", "parent", "other"}),
        ("filters[namespace][NOT_EQUALS]=demo.api", {"child", "called", "other"}),
        ("filters[namespace][IN]=demo.apix,demo.api.sub", {"child", "called", "other"}),
        ("filters[namespace][REGEX]=x$", {"other"}),
        ("filters[flowId][NOT_IN]=child,parent", {"one", "other"}),
        ("filters[flowId][CONTAINS]=ARE", {"parent"}),
        ("filters[flowId][ENDS_WITH]=ld", {"child", "called"}),
        ("filters[labels][EQUALS][team]=data", {"one", "other"}),
        ("filters[labels][NOT_EQUALS][team]=data", {"child", "called", "parent"}),
        ("labels=team:web", {"child", "called"}),  # the flow's labels are its executions'
        ("filters[state][NOT_IN]=SUCCESS", set()),
        ("state=FAILED&state=SUCCESS", {"one", "child", "called", "other", "parent"}),
        ("filters[childFilter][EQUALS]=CHILD", {"called"}),
        ("filters[childFilter][EQUALS]=MAIN", {"one", "child", "other", "parent"}),
        ("filters[q][EQUALS]=APIX", {"other"}),
        ("filters[q][NOT_EQUALS]=demo.api", set()),
        ("filters[scope][EQUALS]=SYSTEM", set()),
        ("filters[startDate][LESS_THAN]=2000-01-01T00:00:00Z", set()),
        ("filters[timeRange][EQUALS]=P1D", {"one", "child", "called", "other", "parent"}),
    ],
)
def test_executions_are_searched_by_every_filter(
    searched: tuple[Api, dict[str, str]], query: str, expected: set[str]
) -> None:
    client, ids = searched
    assert _found(client, "/executions/search", query) == {ids[name] for name in expected}


def test_the_children_of_an_execution(searched: tuple[Api, dict[str, str]]) -> None:
    client, ids = searched
    query = f"filters[triggerExecutionId][EQUALS]={ids['parent']}"
    assert _found(client, "/executions/search", query) == {ids["called"]}
    assert _found(client, "/executions/search", f"triggerExecutionId={ids['parent']}") == {ids["called"]}


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        (
            "filters[triggerId][EQUALS]=test",
            400,
            "Invalid query filters: Provided query filters are invalid: Field TRIGGER_ID is not supported "
            "for resource EXECUTION. Supported fields are QUERY, SCOPE, FLOW_ID, START_DATE, END_DATE, "
            "STATE, LABELS, TRIGGER_EXECUTION_ID, CHILD_FILTER, NAMESPACE, KIND",
        ),
        (
            "filters[state][CONTAINS]=SUCC",
            400,
            "Invalid query filters: Provided query filters are invalid: Operation CONTAINS is not supported "
            "for field STATE. Supported operations are EQUALS, NOT_EQUALS, IN, NOT_IN",
        ),
        (
            "filters[startDate][EQUALS]=2024-06-03T00:00:00.000%2B02:00"
            "&filters[endDate][EQUALS]=2023-06-05T00:00:00.000%2B02:00",
            422,
            "Illegal argument: Start date must be before End Date",
        ),
        ("filters[namespace][REGEX]=(", 400, "Invalid query filters: Invalid regular expression [(]"),
        (
            "filters[namespace][SOMETIMES]=x",
            400,
            "Invalid query filters: Provided query filters are invalid: "
            "Unknown operation SOMETIMES for field namespace",
        ),
    ],
)
def test_a_filter_the_search_cannot_apply_is_refused(
    searched: tuple[Api, dict[str, str]], query: str, status: int, message: str
) -> None:
    client, _ = searched
    answered, body = client.call("GET", "/executions/search", query=query)
    assert answered == status
    assert body["message"].startswith(message)


def test_a_command_by_query_acts_only_on_what_the_filters_name(searched: tuple[Api, dict[str, str]]) -> None:
    """Before, `NOT_EQUALS` was dropped: a by-query command acted on the executions it was to leave out."""
    client, _ = searched
    status, body = client.call(
        "DELETE", "/executions/kill/by-query", query="filters[namespace][EQUALS]=nowhere"
    )
    assert (status, body) == (200, {"count": 0})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filters[namespace][PREFIX]=demo.api", {"one", "child", "parent"}),
        ("filters[namespace][EQUALS]=demo.api", {"one", "parent"}),
        ("filters[labels][EQUALS][team]=data", {"one", "other"}),
        ("filters[flowId][STARTS_WITH]=o", {"one", "other"}),
        ("q=CHI", {"child"}),
    ],
)
def test_flows_are_searched_by_their_filters(
    searched: tuple[Api, dict[str, str]], query: str, expected: set[str]
) -> None:
    client, _ = searched
    status, page = client.call("GET", "/flows/search", query=query)
    assert status == 200, page
    assert {flow["id"] for flow in page["results"]} == expected


def test_logs_are_searched_by_their_filters(searched: tuple[Api, dict[str, str]]) -> None:
    client, ids = searched
    status, page = client.call("GET", "/logs/search", query=f"filters[executionId][EQUALS]={ids['parent']}")
    assert status == 200 and page["total"] > 0
    assert {line["executionId"] for line in page["results"]} == {ids["parent"]}
    status, page = client.call(
        "GET",
        "/logs/search",
        query=f"filters[executionId][EQUALS]={ids['parent']}&filters[level][EQUALS]=ERROR",
    )
    assert (status, page["total"]) == (200, 0)
    status, body = client.call("GET", "/logs/search", query="filters[state][EQUALS]=SUCCESS")
    assert status == 400 and "Field STATE is not supported for resource LOG" in body["message"]


@pytest.mark.parametrize(
    ("op", "value", "actual", "kept"),
    [
        (Op.EQUALS, "a.b", "a.b", True),
        (Op.EQUALS, "a.b", None, False),
        (Op.NOT_EQUALS, "a.b", None, True),
        (Op.NOT_IN, "x,y", None, True),
        (Op.IN, "x,y", "y", True),
        (Op.PREFIX, "a", "a.b", True),
        (Op.PREFIX, "a", "ab", False),
        (Op.CONTAINS, "B", "a.b", True),
        (Op.STARTS_WITH, "A.", "a.b", True),
        (Op.ENDS_WITH, ".B", "a.b", True),
        (Op.REGEX, "^a\\.", "a.b", True),
        (Op.REGEX, "^b", "a.b", False),
    ],
)
def test_each_operation_on_a_text(op: Op, value: str, actual: str | None, kept: bool) -> None:
    assert Filters([Filter("namespace", op, value)]).text("namespace", actual) is kept


def test_a_search_is_sorted_as_asked(searched: tuple[Api, dict[str, str]]) -> None:
    client, _ = searched

    def ordered(query: str) -> list[str]:
        status, page = client.call("GET", "/executions/search", query=query)
        assert status == 200, page
        return [execution["flowId"] for execution in page["results"]]

    assert ordered("sort=flowId:asc") == ["child", "child", "one", "other", "parent"]
    assert ordered("sort=namespace:desc&sort=flowId:asc&filters[flowId][IN]=one,other,parent") == [
        "other", "one", "parent"
    ]  # fmt: skip
    assert ordered("sort=state.startDate:asc")[0] == "one"  # the first one run
    status, body = client.call("GET", "/executions/search", query="sort=inputs:asc")
    assert (status, body["message"]) == (422, "Invalid sort parameter")
    status, page = client.call("GET", "/flows/search", query="sort=id:desc")
    assert [flow["id"] for flow in page["results"]] == ["parent", "other", "one", "child"]
