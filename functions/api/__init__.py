"""Lambda entry point of the REST API (API Gateway HTTP API v2): Kestra 1.3's open-source routes under
`/api/v1/main/…` (tenant `main`, as Kestra 1.x clients send), also answered without the tenant
(`/api/v1/…`), design §6."""

from __future__ import annotations

from functions import startup

with startup.imports():
    import base64
    import gzip
    import json
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
    from aws_lambda_powertools.shared.json_encoder import Encoder

    from engine.model.serde import strict_json
    from functions.api import (
        auth,
        bulk,
        executions,
        flows,
        kv,
        logs,
        meta,
        namespace_files,
        triggers,
        ui,
        webhooks,
    )
    from functions.api.errors import classify, error_response
    from functions.api.requests import header
    from functions.limits import LAMBDA_PAYLOAD_BYTES
    from functions.logs import log_handler

logger = Logger(service="kite-api", logger_handler=log_handler())

# The routes are registered once, under the tenant; a path without it is read as the tenant's. Registering
# them under both prefixes cost every cold start ~11 ms of route patterns.
TENANT_PREFIX = "/api/v1/main"
_API = "/api/v1"
OPENAPI_PATH = "/api/v1/openapi.json"

resolver = APIGatewayHttpResolver(
    serializer=lambda value: json.dumps(strict_json(value), separators=(",", ":"), cls=Encoder)
)
for _router in (
    webhooks.router,
    flows.router,
    # Before executions: its literal paths (`/executions/search`) would match an execution's id.
    bulk.router,
    logs.router,
    executions.router,
    kv.router,
    namespace_files.router,
    triggers.router,
    meta.router,
):
    resolver.include_router(_router, prefix=TENANT_PREFIX)
resolver.include_router(ui.router)


def _with_tenant(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its path under the tenant (`/api/v1/flows/…` → `/api/v1/main/flows/…`). Only the
    routed `rawPath` changes: `requestContext.http.path` stays the path asked, which errors quote."""
    path = str(event.get("rawPath", ""))
    if not path.startswith(_API + "/") or path == OPENAPI_PATH:
        return event
    if path == TENANT_PREFIX or path.startswith(TENANT_PREFIX + "/"):
        return event
    return {**event, "rawPath": TENANT_PREFIX + path.removeprefix(_API)}


def _asked_path() -> str:
    return str(resolver.current_event.request_context.http.path)


@resolver.get(OPENAPI_PATH)
def _openapi() -> Response[str]:
    """The routes above, as an OpenAPI document generated from them."""
    return meta.openapi_response(resolver.get_openapi_json_schema(title="Kite", version="1.3"))


@resolver.exception_handler(Exception)  # type: ignore[untyped-decorator]
def _error(error: Exception) -> Response[str]:
    refused = classify(error)
    if refused.status >= 500:
        logger.exception("request failed")
    return error_response(refused.status, refused.message, _asked_path(), refused.details)


@resolver.not_found
def _not_found(_: Exception) -> Response[str]:
    path = _asked_path()
    return error_response(404, "Not Found", path, [f"Page Not Found: {path}"])


# A body past this is gzipped for a client that accepts it (Kestra's clients and browsers do): the JSON of
# task runs and logs shrinks about tenfold, and the limit above counts what is sent.
COMPRESS_FROM_BYTES = 8 * 1024


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = _compressed(event, _answer(_with_tenant(event), context))
    size = len(json.dumps(response, separators=(",", ":")))
    if size <= LAMBDA_PAYLOAD_BYTES:
        return response
    path = str(event.get("requestContext", {}).get("http", {}).get("path", ""))
    message = (
        f"The response is {size / 1024 / 1024:.1f} MB: a Lambda function answers API Gateway with at"
        f" most {LAMBDA_PAYLOAD_BYTES // 1024 // 1024} MB. Ask for less (a page, a file's preview), or read"
        " it from the stack's bucket"
    )
    logger.warning("response too large", extra={"path": path, "bytes": size})
    return _event_response(error_response(500, message, path, [message]))


def _compressed(event: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    asked = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    headers = response.get("headers") or {}
    body = response.get("body") or ""
    if "gzip" not in str(asked.get("accept-encoding", "")) or not body:
        return response
    if any(name.lower() == "content-encoding" for name in headers):
        return response
    raw = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode()
    if len(raw) < COMPRESS_FROM_BYTES:
        return response
    packed = gzip.compress(raw, compresslevel=6)
    if len(packed) >= len(raw):  # already compressed (an image, a zip)
        return response
    sent = {**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return {**response, "headers": sent, "body": base64.b64encode(packed).decode(), "isBase64Encoded": True}


def _event_response(response: Response[str]) -> dict[str, Any]:
    """A response built outside the resolver, in the shape the resolver returns."""
    return {
        "statusCode": response.status_code,
        "headers": {**(response.headers or {}), "Content-Type": response.content_type or "application/json"},
        "body": response.body,
        "isBase64Encoded": False,
    }


def _answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    http = event.get("requestContext", {}).get("http", {})
    if http.get("method") == "HEAD" and "/executions/webhook/" not in str(http.get("path")):
        # A HEAD is the GET without its body (RFC 9110 §9.3.2), as Kestra's server answers it. Not for a
        # webhook: a GET there starts an execution, and a HEAD must change nothing.
        as_get = {**event, "requestContext": {**event["requestContext"], "http": {**http, "method": "GET"}}}
        got = resolver.resolve(as_get, context)
        body = got.get("body") or ""
        length = len(base64.b64decode(body) if got.get("isBase64Encoded") else str(body).encode())
        headers = {**(got.get("headers") or {}), "Content-Length": str(length)}  # the GET's, as RFC 9110 lets
        return {**got, "headers": headers, "body": "", "isBase64Encoded": False}
    return resolver.resolve(event, context)


def _authenticate(app: APIGatewayHttpResolver, next_middleware: Any) -> Response[str]:
    """A wrong or missing credential is a 401 that says nothing more. Webhooks are keyed instead; the UI's
    assets are code, not data. The UI asks for credentials itself: its requests get no Basic challenge,
    which would open the browser's own dialog."""
    path = app.current_event.path
    if "/executions/webhook/" not in path and not ui.is_asset(path) and not _allowed(app):
        response = error_response(401, "Unauthorized", _asked_path())
        if header(app.current_event, "x-kite-ui") is None and not auth.by_iam():
            response.headers["WWW-Authenticate"] = 'Basic realm="kite"'
        return response
    result: Response[str] = next_middleware(app)
    return result


def _allowed(app: APIGatewayHttpResolver) -> bool:
    if auth.by_iam():
        return auth.iam_caller(app.current_event.raw_event) is not None
    return auth.allowed(
        header(app.current_event, "authorization"),
        auth.users(),
        auth.tokens(),
        open_without_credentials=auth.is_open(),
    )


resolver.use([_authenticate])
