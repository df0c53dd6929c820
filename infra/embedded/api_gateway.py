"""What API Gateway's HTTP API does before the API function sees a request, for `kite serve`: choose the
template's route for it (the most specific match), and on an AWS_IAM route check its SigV4 signature, the
caller then named in the event (`requestContext.authorizer.iam`) as API Gateway names it."""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from msgspec import Struct

SERVICE = "execute-api"
# A route's AuthorizationType when API Gateway checks SigV4 (the other is NONE).
AWS_IAM = "AWS_IAM"
# SigV4 refuses a request signed further from now than this.
MAX_SKEW = timedelta(minutes=15)


class Route(Struct, frozen=True):
    key: str  # "ANY /api/{proxy+}"
    authorization: str  # NONE or AWS_IAM

    def rank(self, method: str, path: str) -> tuple[int, int, int] | None:
        """How specifically this route matches, or None: exact paths before variables before a greedy
        tail, longer literal prefixes first, a named method before ANY."""
        route_method, _, pattern = self.key.partition(" ")
        if route_method not in ("ANY", method.upper()):
            return None
        wanted = [s for s in pattern.split("/") if s]
        given = [s for s in path.split("/") if s]
        literal = 0
        for index, segment in enumerate(wanted):
            if segment.startswith("{") and segment.endswith("+}"):
                if index != len(wanted) - 1 or len(given) <= index:
                    return None
                return (0, literal, route_method != "ANY")
            if index >= len(given):
                return None
            if not (segment.startswith("{") and segment.endswith("}")):
                if segment != given[index]:
                    return None
                literal += 1
        if len(given) != len(wanted):
            return None
        return (1 if literal == len(wanted) else 0, literal, route_method != "ANY")


def route_for(routes: Sequence[Route], method: str, path: str) -> Route | None:
    ranked = [(rank, route) for route in routes if (rank := route.rank(method, path)) is not None]
    return max(ranked, key=lambda found: found[0])[1] if ranked else None


class SignatureCheck(Struct, frozen=True):
    """Signatures are checked against one set of credentials: those `kite serve` found at start."""

    credentials: Credentials
    account_id: str

    def caller(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> dict[str, str] | None:
        """`requestContext.authorizer.iam` for a request signed with the credentials, else None."""
        lowered = {name.lower(): value for name, value in headers.items()}
        fields = _authorization_fields(lowered.get("authorization", ""))
        if fields is None:
            return None
        credential, signed_headers, signature = fields
        access_key, _, scope = credential.partition("/")
        date, region, service, terminator = [*scope.split("/"), "", "", "", ""][:4]
        timestamp = lowered.get("x-amz-date", "")
        if (
            access_key != self.credentials.access_key
            or service != SERVICE
            or terminator != "aws4_request"
            or not timestamp.startswith(date)
            or not _fresh(timestamp, now)
            or any(name not in lowered for name in signed_headers)
        ):
            return None
        request = AWSRequest(
            method=method, url=url, data=body, headers={name: lowered[name] for name in signed_headers}
        )
        request.context["timestamp"] = timestamp
        signer = SigV4Auth(self.credentials, service, region)
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        if not hmac.compare_digest(expected, signature):
            return None
        return {
            "accessKey": access_key,
            "accountId": self.account_id,
            "callerId": access_key,
            "userArn": f"arn:aws:iam::{self.account_id}:user/kite-serve",
            "userId": access_key,
        }


def _authorization_fields(header: str) -> tuple[str, list[str], str] | None:
    algorithm, _, rest = header.partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        return None
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        return None
    return fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]


def _fresh(timestamp: str, now: datetime) -> bool:
    try:
        signed = datetime.strptime(timestamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:
        return False
    return abs(now - signed) <= MAX_SKEW
