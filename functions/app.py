"""Composition root of the Lambda functions: settings from the environment → AWS adapters → services.

Built once per container and reused across invocations. The embedded stack installs its own (same
adapters, on moto, with its clock) through `install`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from msgspec import Struct
from msgspec.structs import replace

from engine.config import EngineConfig
from engine.resources import Clock, IdGenerator, Resources, SecretStore
from engine.services.app import Services
from engine.task_api.registry import register_function_types
from infra.aws.blobs import S3Blobs
from infra.aws.concurrency_store import DynamoConcurrencyStore
from infra.aws.execution_store import DynamoExecutionStore
from infra.aws.flow_repository import DynamoFlowRepository
from infra.aws.kv_store import DynamoKVStore
from infra.aws.message_bus import SqsMessageBus
from infra.aws.precondition_store import DynamoPreconditionStore
from infra.aws.secrets_manager import SecretsManagerSecretStore
from infra.aws.session import AwsSession, process_session
from infra.aws.settings import AwsSettings
from infra.aws.storage import S3Storage
from infra.aws.task_aws import BotoAws
from infra.aws.task_functions import Handler, LambdaFunctions, LocalFunctions
from infra.aws.trigger_state_store import DynamoTriggerStateStore
from infra.aws.trigger_wakes import EventBridgeTriggerWakes
from infra.system.clock import SystemClock
from infra.system.http import UrllibHttpClient
from infra.system.ids import SecureIds
from infra.system.processes import LocalProcesses
from infra.system.sandbox import ForkSandbox
from infra.system.secrets import ChainedSecretStore, EnvSecretStore


class App(Struct, frozen=True):
    services: Services
    bus: SqsMessageBus


def build(
    settings: AwsSettings,
    session: AwsSession,
    clock: Clock,
    environ: Mapping[str, str],
    *,
    inline_budget: int = 500,
    allow_loopback: bool = False,
    encryption_key: bytes | None = None,
    ids: IdGenerator | None = None,
    local_functions: Mapping[str, Handler] | None = None,
) -> App:
    """`allow_loopback` lets http() reach 127.0.0.1: for a laptop, never in Lambda (the runtime API).
    `encryption_key` is the key of SECRET inputs when the environment gives none (KITE_ENCRYPTION_KEY).
    `ids` replaces secure randomness (a seeded simulation replays exactly). `local_functions` stand in for
    Lambda functions by name (`kite run --function`)."""
    config = EngineConfig.from_environ(environ)
    if config.encryption_key is None:
        config = replace(config, encryption_key=encryption_key)
    register_function_types(config.task_functions)
    task_aws = BotoAws(AwsSession(session.session))
    lambdas = LambdaFunctions(task_aws)
    blobs = S3Blobs(session, settings.bucket)
    bus = SqsMessageBus(session, settings, blobs, clock)
    secrets: list[SecretStore] = [EnvSecretStore(environ)]
    if settings.secrets_prefix:
        secrets.append(SecretsManagerSecretStore(session, settings.secrets_prefix, clock))
    resources = Resources(
        secrets=ChainedSecretStore(secrets),
        kv=DynamoKVStore(session, settings.state_table),
        storage=S3Storage(blobs),
        http=UrllibHttpClient(allow_loopback=allow_loopback),
        sandbox=ForkSandbox(),
        processes=LocalProcesses(),
        aws=task_aws,
        functions=LocalFunctions(local_functions, lambdas) if local_functions else lambdas,
    )
    services = Services.build(
        DynamoFlowRepository(session, settings.flows_table),
        DynamoExecutionStore(session, settings.executions_table, blobs),
        bus,
        clock,
        ids or SecureIds(),
        resources,
        DynamoConcurrencyStore(session, settings.state_table),
        DynamoPreconditionStore(session, settings.state_table),
        DynamoTriggerStateStore(session, settings.state_table),
        wakes=EventBridgeTriggerWakes(session, settings),
        config=config,
        inline_budget=inline_budget,
    )
    return App(services, bus)


_installed: App | None = None


def install(app: App | None) -> None:
    """Use `app` for the handlers of this process (the embedded stack), or go back to the environment."""
    global _installed  # noqa: PLW0603
    _installed = app


def current() -> App:
    global _installed  # noqa: PLW0603
    if _installed is None:
        _installed = build(AwsSettings.from_env(), process_session(), SystemClock(), os.environ)
    return _installed
