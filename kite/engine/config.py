"""Deployment configuration: what flows can see (`envs`, `globals`, `kestra`, spec part 1 §15.2) and the
global plugin defaults (spec part 1 §11)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from kite.engine.flow import PluginDefault

DEFAULT_ENV_PREFIX = "ENV_"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class EngineConfig:
    envs: Mapping[str, str] = field(default_factory=dict)
    globals: Mapping[str, Any] = field(default_factory=dict)
    environment: str | None = None
    url: str | None = None
    # Applied to every flow after its own `pluginDefaults`, as Kestra's `kestra.plugins.defaults`.
    plugin_defaults: tuple[PluginDefault, ...] = ()

    def variables(self) -> dict[str, Any]:
        kestra = {k: v for k, v in (("environment", self.environment), ("url", self.url)) if v is not None}
        return {"envs": dict(self.envs), "globals": dict(self.globals), "kestra": kestra}

    @staticmethod
    def from_environ(environ: Mapping[str, str]) -> EngineConfig:
        """Read from process-style variables, which the composition root passes in.

        Only variables with the prefix (``KITE_ENV_VARS_PREFIX``, ``ENV_`` by default) become `envs`,
        lower-cased and without the prefix, so a flow never sees the rest of the environment (AWS
        credentials among it). ``KITE_GLOBALS`` holds the globals as a JSON or YAML mapping,
        ``KITE_PLUGIN_DEFAULTS`` the global plugin defaults as a JSON or YAML list."""
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
            plugin_defaults=_plugin_defaults(environ.get("KITE_PLUGIN_DEFAULTS")),
        )


def _parsed(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name} is not valid JSON or YAML: {exc}") from None


def _globals(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = _parsed("KITE_GLOBALS", text)
    if not isinstance(value, dict):
        raise ConfigError("KITE_GLOBALS must be a mapping")
    return value


_DEFAULTS = TypeAdapter(tuple[PluginDefault, ...])


def _plugin_defaults(text: str | None) -> tuple[PluginDefault, ...]:
    if not text:
        return ()
    try:
        return _DEFAULTS.validate_python(_parsed("KITE_PLUGIN_DEFAULTS", text))
    except ValidationError as exc:
        problems = "; ".join(
            f"[{']['.join(str(p) for p in e['loc'])}]: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors()
        )
        raise ConfigError(f"KITE_PLUGIN_DEFAULTS must be a list of plugin defaults: {problems}") from None
