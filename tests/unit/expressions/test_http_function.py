"""http(): Kestra's HttpFunction, through a services object whose HTTP answers are canned."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime

import pytest

from engine.config import EngineConfig
from engine.expressions import ExpressionError, Renderer
from engine.memory import CannedHttpClient, RandomIds, in_memory_resources
from engine.resources import HttpError, HttpResponse
from engine.runtime.port_services import PortServices, Scope

URL = "https://api.test/todos"
JSON = {"Content-Type": "application/json"}


class Services:
    """The one hook http() needs, answered by a CannedHttpClient as PortServices answers it."""

    def __init__(self, responses: dict[tuple[str, str], HttpResponse]) -> None:
        self.client = CannedHttpClient(responses)

    def now(self) -> datetime:
        return datetime(2025, 1, 1, tzinfo=UTC)

    def http(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> HttpResponse:
        return self.client.request(method, url, headers, body, timeout=1)

    @property
    def sent(self) -> tuple[str, str, dict[str, str], bytes | None]:
        return self.client.requests[-1]


def _services(method: str, url: str, response: HttpResponse) -> Services:
    return Services({(method, url): response})


def test_a_json_response_is_parsed(renderer: Renderer) -> None:
    services = _services("GET", URL, HttpResponse(200, JSON, b'{"todos":[{"id":1,"done":false}]}'))
    assert renderer.render("{{ http(url) }}", {"url": URL}, services) == '{"todos":[{"id":1,"done":false}]}'
    assert renderer.render("{{ http(uri=url).todos[0].id }}", {"url": URL}, services) == "1"
    method, url, headers, body = services.sent
    assert (method, url, body) == ("GET", URL, None)
    assert headers == {"Accept": "application/json", "User-Agent": "Kestra"}


def test_a_map_body_is_sent_as_json(renderer: Renderer) -> None:
    services = _services("POST", URL, HttpResponse(201, JSON, b'{"id":256}'))
    context = {"url": URL, "body": {"todo": "New todo", "userId": 1, "completed": False}}
    assert renderer.render("{{ http(url, 'post', body=body).id }}", context, services) == "256"
    _, _, headers, body = services.sent
    assert headers["Content-Type"] == "application/json"
    assert body is not None
    assert json.loads(body) == context["body"]


def test_a_string_body_is_sent_as_it_is(renderer: Renderer) -> None:
    services = _services("PUT", URL, HttpResponse(204, {}, b""))
    template = "{{ http(url, 'PUT', body='a=é', contentType='text/plain; charset=ISO-8859-1') }}"
    assert renderer.render_typed(template, {"url": URL}, services) is None
    _, _, headers, body = services.sent
    assert (headers["Content-Type"], body) == ("text/plain; charset=ISO-8859-1", "a=é".encode("latin-1"))


def test_query_parameters_are_appended(renderer: Renderer) -> None:
    expected = URL + "?page=1&limit=2&tag=a+b&tag=c"
    services = _services("GET", expected, HttpResponse(200, JSON, b"[]"))
    template = "{{ http(url ~ '?page=1', 'GET', {'limit': 2, 'tag': ['a b', 'c']}) }}"
    assert renderer.render(template, {"url": URL}, services) == "[]"


def test_headers_take_lists_and_lose_those_set_by_other_arguments(renderer: Renderer) -> None:
    services = _services("GET", URL, HttpResponse(200, JSON, b"{}"))
    template = (
        "{{ http(url, headers={'X-One': 'v', 'X-Many': ['1', '2'], 'content-type': 'x/y', "
        "'user-agent': 'me'}, accept='text/csv') }}"
    )
    renderer.render(template, {"url": URL}, services)
    _, _, headers, _ = services.sent
    assert headers == {"X-One": "v", "X-Many": "1, 2", "user-agent": "me", "Accept": "text/csv"}


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ("{'type': 'BASIC', 'username': 'myUser', 'password': 'myPassword'}", "Basic "),
        ("{'type': 'BEARER', 'token': 't0k3n'}", "Bearer t0k3n"),
    ],
)
def test_options_auth_sets_the_authorization_header(renderer: Renderer, auth: str, expected: str) -> None:
    services = _services("GET", URL, HttpResponse(200, JSON, b"{}"))
    template = "{{ http(url, headers={'authorization': 'x'}, options={'auth': " + auth + "}) }}"
    renderer.render(template, {"url": URL}, services)
    _, _, headers, _ = services.sent
    assert "authorization" not in headers
    if expected == "Basic ":
        expected += base64.b64encode(b"myUser:myPassword").decode()
    assert headers["Authorization"] == expected


def test_a_yaml_response_is_parsed_and_a_yaml_body_written(renderer: Renderer) -> None:
    answer = HttpResponse(
        200, {"content-type": "application/x-yaml"}, b"response: body\nwith: [yaml, content]\n"
    )
    services = _services("POST", URL, answer)
    template = "{{ http(url, 'POST', body={'with': ['a', 'b']}, contentType='application/yaml').with[0] }}"
    assert renderer.render(template, {"url": URL}, services) == "yaml"
    _, _, _, body = services.sent
    assert body == b"with:\n- a\n- b\n"


def test_a_body_that_is_not_json_comes_back_as_text(renderer: Renderer) -> None:
    services = _services("GET", URL, HttpResponse(200, {"Content-Type": "text/plain"}, b"hello world"))
    assert renderer.render_typed("{{ http(url) }}", {"url": URL}, services) == "hello world"


def test_a_failed_status_is_an_error_unless_allowed(renderer: Renderer) -> None:
    services = _services("GET", URL, HttpResponse(404, JSON, b'{"message":"Not Found"}'))
    with pytest.raises(ExpressionError, match="server respond with status 404 : Not Found"):
        renderer.render("{{ http(url) }}", {"url": URL}, services)
    allowed = "{{ http(url, options={'allowFailed': true}).message }}"
    assert renderer.render(allowed, {"url": URL}, services) == "Not Found"


def test_allowed_response_codes_restrict_the_statuses(renderer: Renderer) -> None:
    services = _services("GET", URL, HttpResponse(202, JSON, b"{}"))
    with pytest.raises(ExpressionError, match="status 202 : Accepted"):
        renderer.render("{{ http(url, options={'allowedResponseCodes': [200]}) }}", {"url": URL}, services)


def test_the_response_size_is_bounded() -> None:
    services = _services("GET", URL, HttpResponse(200, JSON, b'"' + b"x" * 100 + b'"'))
    with pytest.raises(ExpressionError, match="exceeds the maximum"):
        Renderer(max_output_chars=50).render("{{ http(url) }}", {"url": URL}, services)


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{{ http() }}", "expects an argument 'uri'"),
        ("{{ http(url, options={'proxy': {}}) }}", "unsupported option(s): proxy"),
        ("{{ http(url, options={'followRedirects': false}) }}", "followRedirects"),
        ("{{ http(url, options={'auth': {'type': 'DIGEST'}}) }}", "unsupported auth type 'DIGEST'"),
        ("{{ http(url, 'POST', body=[1], contentType='text/csv') }}", "cannot write"),
        ("{{ http(url, query='a=b') }}", "'query' must be a map"),
    ],
)
def test_invalid_arguments(renderer: Renderer, template: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        renderer.render(template, {"url": URL}, _services("GET", URL, HttpResponse(200, JSON, b"{}")))
    assert fragment in str(info.value)


def test_without_an_http_service_the_function_is_unavailable(renderer: Renderer) -> None:
    with pytest.raises(ExpressionError, match="no 'http' service"):
        renderer.render("{{ http('https://x.test') }}", {}, None)


def test_port_services_turn_http_errors_into_evaluation_errors(renderer: Renderer) -> None:
    class Refusing:
        def request(
            self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
        ) -> HttpResponse:
            raise HttpError("Refused: host 'x' resolves to 169.254.169.254")

    services = PortServices(
        clock=Services({}),
        ids=RandomIds(random.Random(0)),
        resources=in_memory_resources(http=Refusing()),
        config=EngineConfig(),
        scope=Scope("ns", "flow", "exec"),
        execution_logs=list,
    )
    with pytest.raises(ExpressionError, match=r"Failed to execute HTTP request: Refused: .*169\.254"):
        renderer.render("{{ http('http://x') }}", {}, services)
