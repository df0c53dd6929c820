"""Deployment configuration: what flows can see (`envs`, `globals`, `kestra`, spec part 1 §15.2) and the
global plugin defaults (spec part 1 §11)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from msgspec import Struct, field
from pydantic import TypeAdapter, ValidationError

from engine.flow.model import PluginDefault
from engine.flow.plugin_defaults import ConfiguredDefaults
from engine.model.aes import KEY_LENGTHS
from engine.model.yaml_text import YamlError, load_yaml_text

DEFAULT_ENV_PREFIX = "ENV_"


class ConfigError(ValueError):
    pass


class EngineConfig(Struct, frozen=True):
    envs: Mapping[str, str] = field(default_factory=dict)
    globals: Mapping[str, Any] = field(default_factory=dict)
    environment: str | None = None
    url: str | None = None
    # Applied to every flow after its own `pluginDefaults`: Kestra's `kestra.plugins.defaults` and EE's
    # namespace plugin defaults.
    plugin_defaults: ConfiguredDefaults = field(default_factory=ConfiguredDefaults)
    # The AES key of SECRET inputs (Kestra's `kestra.encryption.secret-key`); without it they are refused.
    encryption_key: bytes | None = None
    # Keys replaced by `encryption_key`, still tried to read what they encrypted (a key rotation).
    previous_encryption_keys: tuple[bytes, ...] = ()
    # Task types run by Lambda functions (task functions): type → function name or ARN.
    task_functions: Mapping[str, str] = field(default_factory=dict)

    @property
    def decryption_keys(self) -> tuple[bytes, ...]:
        """The current key first, then the ones it replaced."""
        current = (self.encryption_key,) if self.encryption_key is not None else ()
        return (*current, *self.previous_encryption_keys)

    def variables(self) -> dict[str, Any]:
        kestra = {k: v for k, v in (("environment", self.environment), ("url", self.url)) if v is not None}
        return {"envs": dict(self.envs), "globals": dict(self.globals), "kestra": kestra}

    @staticmethod
    def from_environ(environ: Mapping[str, str]) -> EngineConfig:
        """Read from process-style variables, which the composition root passes in.

        Only variables with the prefix (``KITE_ENV_VARS_PREFIX``, ``ENV_`` by default) become `envs`,
        lower-cased and without the prefix, so a flow never sees the rest of the environment (AWS
        credentials among it). ``KITE_GLOBALS`` holds the globals as a JSON or YAML mapping,
        ``KITE_PLUGIN_DEFAULTS`` the global plugin defaults as a JSON or YAML list, and
        ``KITE_NAMESPACE_PLUGIN_DEFAULTS`` a mapping of namespace to such a list, ``KITE_ENCRYPTION_KEY``
        the base64 AES key (16, 24 or 32 bytes) of SECRET inputs, ``KITE_PREVIOUS_ENCRYPTION_KEYS`` the
        comma-separated keys it replaced, which still decrypt what they encrypted."""
        prefix = environ.get("KITE_ENV_VARS_PREFIX", DEFAULT_ENV_PREFIX)
        if not prefix:
            raise ConfigError("KITE_ENV_VARS_PREFIX must not be empty: it would expose the whole environment")
        envs = {
            k[len(prefix) :].lower(): v for k, v in environ.items() if k.startswith(prefix) and k != prefix
        }
        return EngineConfig(
            envs=envs,
            globals=_globals(environ.get("KITE_GLOBALS")),
            environment=environ.get("KITE_ENVIRONMENT") or None,
            url=environ.get("KITE_URL") or None,
            encryption_key=_encryption_key(environ.get("KITE_ENCRYPTION_KEY")),
            previous_encryption_keys=tuple(
                key
                for text in (environ.get("KITE_PREVIOUS_ENCRYPTION_KEYS") or "").split(",")
                if (key := _encryption_key(text, "KITE_PREVIOUS_ENCRYPTION_KEYS")) is not None
            ),
            task_functions=_task_functions(environ.get("KITE_TASK_FUNCTIONS")),
            plugin_defaults=ConfiguredDefaults(
                _plugin_defaults("KITE_PLUGIN_DEFAULTS", environ.get("KITE_PLUGIN_DEFAULTS")),
                _namespace_plugin_defaults(environ.get("KITE_NAMESPACE_PLUGIN_DEFAULTS")),
            ),
        )


def _task_functions(text: str | None) -> dict[str, str]:
    """`KITE_TASK_FUNCTIONS`: comma-separated `task.Type=function` pairs."""
    pairs: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        kind, separator, function = item.strip().partition("=")
        if not separator or not kind or not function:
            raise ConfigError(f"KITE_TASK_FUNCTIONS: '{item.strip()}' is not TYPE=FUNCTION")
        pairs[kind] = function
    return pairs


def _parsed(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return load_yaml_text(text)
    except YamlError as exc:
        raise ConfigError(f"{name} is not valid JSON or YAML: {exc}") from None


def _globals(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = _parsed("KITE_GLOBALS", text)
    if not isinstance(value, dict):
        raise ConfigError("KITE_GLOBALS must be a mapping")
    return value


@cache
def _defaults() -> TypeAdapter[tuple[PluginDefault, ...]]:
    # Built when configured defaults are read: building it costs 20 ms, which a function that never reads a
    # flow would otherwise pay at every cold start.
    return TypeAdapter(tuple[PluginDefault, ...])


def _namespace_plugin_defaults(text: str | None) -> dict[str, tuple[PluginDefault, ...]]:
    if not text:
        return {}
    name = "KITE_NAMESPACE_PLUGIN_DEFAULTS"
    value = _parsed(name, text)
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a mapping of namespace to plugin defaults")
    return {str(ns): _plugin_defaults(f"{name}[{ns}]", items) for ns, items in value.items()}


def _plugin_defaults(name: str, value: Any) -> tuple[PluginDefault, ...]:
    if not value:
        return ()
    try:
        return _defaults().validate_python(_parsed(name, value) if isinstance(value, str) else value)
    except ValidationError as exc:
        problems = "; ".join(
            f"[{']['.join(str(p) for p in e['loc'])}]: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors()
        )
        raise ConfigError(f"{name} must be a list of plugin defaults: {problems}") from None


def _encryption_key(text: str | None, name: str = "KITE_ENCRYPTION_KEY") -> bytes | None:
    if not text or not text.strip():
        return None
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise ConfigError(f"{name} must be base64") from None
    if len(key) not in KEY_LENGTHS:
        raise ConfigError(f"{name} must decode to 16, 24 or 32 bytes, not {len(key)}")
    return key
