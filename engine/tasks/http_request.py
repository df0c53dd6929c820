"""io.kestra.plugin.core.http.Request: one HTTP request; the response's status, headers and body (as text)
are the outputs. The address policy is the http() function's (no link-local or metadata addresses)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import Field, model_validator

from engine.expressions import to_pebble_string
from engine.model.durations import parse_duration
from engine.task_api import Duration, Model, RunContext, RunnableTask, TaskFailedError, task_type
from engine.tasks.properties import render_bool

DEFAULT_TIMEOUT_S = 30.0
MULTIPART = "multipart/form-data"


class Auth(Model):
    type: Literal["BASIC", "BEARER"]
    username: str | None = None
    password: str | None = None
    token: str | None = None


class RequestOptions(Model):
    connect_timeout: Duration | None = Field(None, alias="connectTimeout")
    read_timeout: Duration | None = Field(None, alias="readTimeout")
    # Accepted as Kestra has them; urllib's connection has no pool to tune.
    read_idle_timeout: Duration | None = Field(None, alias="readIdleTimeout")
    connection_pool_idle_timeout: Duration | None = Field(None, alias="connectionPoolIdleTimeout")
    max_content_length: int | None = Field(None, alias="maxContentLength")
    default_charset: str | None = Field(None, alias="defaultCharset")
    follow_redirects: bool = Field(True, alias="followRedirects")
    log_level: str | None = Field(None, alias="logLevel")
    basic_auth_user: str | None = Field(None, alias="basicAuthUser")
    basic_auth_password: str | None = Field(None, alias="basicAuthPassword")
    auth: Auth | None = None

    @model_validator(mode="after")
    def _honoured(self) -> RequestOptions:
        if not self.follow_redirects:
            raise ValueError("followRedirects: false is not supported: Kite follows redirects (5 at most)")
        return self


class SslOptions(Model):
    insecure_trust_all_certificates: bool | None = Field(None, alias="insecureTrustAllCertificates")

    @model_validator(mode="after")
    def _honoured(self) -> SslOptions:
        if self.insecure_trust_all_certificates:
            raise ValueError("insecureTrustAllCertificates is not supported: certificates are always checked")
        return self


class HttpTask(RunnableTask):
    """What Request and Download share: the request."""

    uri: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    body: str | None = None
    form_data: dict[str, Any] | None = Field(None, alias="formData")
    content_type: str | None = Field(None, alias="contentType")
    headers: dict[str, Any] | None = None
    options: RequestOptions | None = None
    ssl_options: SslOptions | None = Field(None, alias="sslOptions")
    allow_failed: bool | str = Field(False, alias="allowFailed")

    def send(self, ctx: RunContext) -> tuple[str, int, dict[str, list[str]], bytes]:
        """The request made: its URL, and the response's status, headers and body. A status of 400 or more
        fails the task unless `allowFailed`."""
        url, headers, content, timeout = self.prepared(ctx)
        response = ctx.http(self.method, url, headers, content, timeout)
        self.check_status(ctx, response.status)
        return url, response.status, {k: [v] for k, v in response.headers.items()}, response.body

    def prepared(self, ctx: RunContext) -> tuple[str, dict[str, str], bytes | None, float]:
        """The request to make: URL, headers (content type and authorization included), body, timeout."""
        url = ctx.render(self.uri, "uri")
        headers = {
            str(k): ctx.render(to_pebble_string(v), f"headers.{k}") for k, v in (self.headers or {}).items()
        }
        declared = ctx.render(self.content_type, "contentType") if self.content_type is not None else None
        content, content_type = self._content(ctx, declared)
        if content_type is not None:
            headers["Content-Type"] = content_type
        headers.update(self._authorization(ctx))
        return url, headers, content, self._timeout(ctx)

    def check_status(self, ctx: RunContext, status: int) -> None:
        if status >= 400 and not render_bool(ctx, self.allow_failed, "allowFailed"):
            raise TaskFailedError(f"Failed http request with response code '{status}'")

    def _content(self, ctx: RunContext, declared: str | None) -> tuple[bytes | None, str | None]:
        """The body and its content type: `formData` as a form (multipart when `contentType` says so),
        else `body`."""
        if self.form_data is None:
            return (ctx.render(self.body, "body").encode() if self.body is not None else None), declared
        if declared == MULTIPART:
            body, boundary = _multipart(ctx, self.form_data)
            return body, f"{MULTIPART}; boundary={boundary}"
        fields = {str(k): ctx.render(to_pebble_string(v), f"formData.{k}") for k, v in self.form_data.items()}
        return urlencode(fields).encode(), declared or "application/x-www-form-urlencoded"

    def _authorization(self, ctx: RunContext) -> dict[str, str]:
        options = self.options
        if options is None:
            return {}
        auth = options.auth
        if auth is None and options.basic_auth_user is not None:
            auth = Auth(type="BASIC", username=options.basic_auth_user, password=options.basic_auth_password)
        if auth is None:
            return {}
        if auth.type == "BEARER":
            return {"Authorization": f"Bearer {ctx.render(auth.token or '', 'options.auth.token')}"}
        user = ctx.render(auth.username or "", "options.auth.username")
        password = ctx.render(auth.password or "", "options.auth.password")
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    def _timeout(self, ctx: RunContext) -> float:
        options = self.options
        for value in (options.read_timeout if options else None, self.timeout):
            if value is not None:
                return parse_duration(ctx.render(value, "timeout")).total_seconds()
        return DEFAULT_TIMEOUT_S


def _multipart(ctx: RunContext, form: Mapping[str, Any]) -> tuple[bytes, str]:
    """Each field a part; a `kestra://` value, or a `{name, content}` map, is a file part. The boundary is
    a digest of the parts, so it cannot occur in them."""
    parts: list[tuple[str, bytes]] = []
    for key, value in form.items():
        name = ctx.render(str(key), "formData")
        disposition = f'form-data; name="{name}"'
        if isinstance(value, Mapping) and "name" in value and "content" in value:
            filename = ctx.render(str(value["name"]), f"formData.{key}.name")
            data = ctx.read_file(ctx.render(str(value["content"]), f"formData.{key}.content"))
            disposition += f'; filename="{filename}"'
        elif isinstance(value, str):
            rendered = ctx.render(value, f"formData.{key}")
            if rendered.startswith("kestra://"):
                data = ctx.read_file(rendered)
                disposition += f'; filename="{rendered.rsplit("/", 1)[-1]}"'
            else:
                data = rendered.encode()
        else:
            data = json.dumps(value).encode()
        parts.append((disposition, data))
    digest = hashlib.sha256()
    for disposition, data in parts:
        digest.update(disposition.encode() + b"\0" + data)
    boundary = f"kite-{digest.hexdigest()[:40]}"
    body = b"".join(
        f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
        for disposition, data in parts
    )
    return body + f"--{boundary}--\r\n".encode(), boundary


@task_type("io.kestra.plugin.core.http.Request", "io.kestra.plugin.fs.http.Request")
class Request(HttpTask):
    encrypt_body: bool = Field(False, alias="encryptBody")

    @model_validator(mode="after")
    def _honoured(self) -> Request:
        if self.encrypt_body:
            raise ValueError("encryptBody is not supported yet")
        return self

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        url, code, headers, body = self.send(ctx)
        return {"uri": url, "code": code, "headers": headers, "body": body.decode("utf-8", errors="replace")}
