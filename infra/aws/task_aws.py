"""The `Aws` port for AWS tasks: botocore clients as the worker's role (the stack's session, which is moto
locally), or as the keys and endpoint a task gives. Their requests are counted apart from Kite's own."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from engine.resources import AwsConnection, AwsError
from infra.aws.session import AwsSession


class BotoAws:
    def __init__(self, session: AwsSession) -> None:
        self._session = session
        self._clients: dict[tuple[AwsConnection, str], Any] = {}
        self._lock = threading.Lock()

    def call(
        self, connection: AwsConnection, service: str, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        client = self._client(connection, service)
        method = getattr(client, operation, None)
        if method is None:
            raise AwsError(f"{service} has no operation {operation}")
        try:
            response: dict[str, Any] = method(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise AwsError(f"{error.get('Code', 'Error')}: {error.get('Message', exc)}") from None
        except BotoCoreError as exc:
            raise AwsError(str(exc)) from None
        return {key: _plain(value) for key, value in response.items() if key != "ResponseMetadata"}

    def _client(self, connection: AwsConnection, service: str) -> Any:
        key = (connection, service)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                # Keys of the task's own, else the worker's (None: the session's credentials).
                own = bool(connection.access_key_id or connection.session_token)
                client = self._session.session.create_client(
                    service,
                    region_name=connection.region or None,
                    endpoint_url=connection.endpoint_override,
                    aws_access_key_id=connection.access_key_id if own else None,
                    aws_secret_access_key=connection.secret_key_id if own else None,
                    aws_session_token=connection.session_token if own else None,
                )
                self._clients[key] = client
        return client


def _plain(value: Any) -> Any:
    """Bodies read, dates as ISO text: what a task's outputs can hold."""
    if hasattr(value, "read"):
        return value.read()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
