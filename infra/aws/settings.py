"""The names of the stack's resources, which the composition root reads from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from msgspec import Struct
from msgspec.structs import fields

_ENV = {
    "flows_table": "KITE_FLOWS_TABLE",
    "executions_table": "KITE_EXECUTIONS_TABLE",
    "state_table": "KITE_STATE_TABLE",
    "dispatch_queue_url": "KITE_DISPATCH_QUEUE_URL",
    "worker_queue_url": "KITE_WORKER_QUEUE_URL",
    "timer_queue_url": "KITE_TIMER_QUEUE_URL",
    "timer_queue_arn": "KITE_TIMER_QUEUE_ARN",
    "bucket": "KITE_BUCKET",
    "schedule_group": "KITE_SCHEDULE_GROUP",
    "scheduler_role_arn": "KITE_SCHEDULER_ROLE_ARN",
}
# Optional: where Secrets Manager secrets live (`<prefix><namespace path>/<KEY>`); empty turns it off.
_OPTIONAL = {"secrets_prefix": "KITE_SECRETS_PREFIX"}


class MissingSettingError(RuntimeError):
    pass


class AwsSettings(Struct, frozen=True):
    flows_table: str
    executions_table: str
    state_table: str
    dispatch_queue_url: str
    worker_queue_url: str
    timer_queue_url: str
    timer_queue_arn: str
    bucket: str
    schedule_group: str
    scheduler_role_arn: str
    secrets_prefix: str = ""

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> AwsSettings:
        source = os.environ if env is None else env
        missing = [name for name in _ENV.values() if not source.get(name)]
        if missing:
            raise MissingSettingError(f"missing environment variable(s): {', '.join(missing)}")
        optional = {attr: source[name] for attr, name in _OPTIONAL.items() if source.get(name)}
        return AwsSettings(**{attr: source[name] for attr, name in _ENV.items()}, **optional)

    def as_env(self) -> dict[str, str]:
        names = _ENV | _OPTIONAL
        return {names[f.name]: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}
