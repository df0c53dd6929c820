"""`kite serve`'s stand-in for API Gateway: the template's routes chosen as API Gateway chooses them, and
SigV4 signatures checked as its AWS_IAM routes check them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from infra.embedded.api_gateway import Route, SignatureCheck, route_for
from infra.embedded.template import load_template

ROUTES = [
    Route("ANY /api/{proxy+}", "AWS_IAM"),
    Route("ANY /api/v1/executions/webhook/{proxy+}", "NONE"),
    Route("GET /", "NONE"),
    Route("GET /ui", "NONE"),
    Route("GET /ui/{proxy+}", "NONE"),
]


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("GET", "/api/v1/main/flows/search", "ANY /api/{proxy+}"),
        ("POST", "/api/v1/executions/webhook/ns/flow/key", "ANY /api/v1/executions/webhook/{proxy+}"),
        ("GET", "/", "GET /"),
        ("GET", "/ui", "GET /ui"),
        ("GET", "/ui/app.js", "GET /ui/{proxy+}"),
        ("POST", "/ui/app.js", None),
        ("GET", "/api", None),
        ("GET", "/other", None),
    ],
)
def test_the_most_specific_route_is_chosen(method: str, path: str, key: str | None) -> None:
    found = route_for(ROUTES, method, path)
    assert (found.key if found else None) == key


def test_the_template_routes_follow_the_api_auth_parameter() -> None:
    template = load_template()
    by_default = {r.route_key: r.authorization(template, {}) for r in template.routes}
    with_iam = {r.route_key: r.authorization(template, {"ApiAuth": "AWS_IAM"}) for r in template.routes}
    assert set(by_default.values()) == {"NONE"}
    assert {key for key, kind in with_iam.items() if kind == "AWS_IAM"} == {"ANY /api/{proxy+}"}


CREDENTIALS = Credentials("AKIDEXAMPLE", "a-secret")


def _signed(url: str, body: bytes, credentials: Credentials = CREDENTIALS) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/x-yaml"})
    SigV4Auth(credentials, "execute-api", "eu-west-1").add_auth(request)
    return {**dict(request.headers.items()), "Host": "127.0.0.1:8080"}


def test_a_signature_is_checked_against_the_credentials() -> None:
    check = SignatureCheck(CREDENTIALS, "123456789012")
    url = "http://127.0.0.1:8080/api/v1/main/flows/demo?delete=false"
    now = datetime.now(UTC)
    headers = _signed(url, b"id: a")
    caller = check.caller("POST", url, headers, b"id: a", now)
    assert caller is not None and caller["accessKey"] == "AKIDEXAMPLE"
    assert check.caller("POST", url, headers, b"id: b", now) is None  # another body
    assert check.caller("POST", url.replace("false", "true"), headers, b"id: a", now) is None
    assert check.caller("POST", url, headers, b"id: a", now + timedelta(minutes=20)) is None  # stale
    other = _signed(url, b"id: a", Credentials("AKIDEXAMPLE", "another-secret"))
    assert check.caller("POST", url, other, b"id: a", now) is None
    assert check.caller("POST", url, {"Authorization": "Basic YTpi"}, b"id: a", now) is None
