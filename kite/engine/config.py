"""Deployment configuration that flows can see: `envs`, `globals` and `kestra` (spec part 1 §15.2)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

DEFAULT_ENV_PREFIX = "ENV_"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class EngineConfig:
    envs: Mapping[str, str] = field(default_factory=dict)
    globals: Mapping[str, Any] = field(default_factory=dict)
    environment: str | None = None
    url: str | None = None

    def variables(self) -> dict[str, Any]:
        kestra = {k: v for k, v in (("environment", self.environment), ("url", self.url)) if v is not None}
        return {"envs": dict(self.envs), "globals": dict(self.globals), "kestra": kestra}

    @staticmethod
    def from_environ(environ: Mapping[str, str]) -> EngineConfig:
        """Read from process-style variables, which the composition root passes in.

        Only variables with the prefix (``KITE_ENV_VARS_PREFIX``, ``ENV_`` by default) become `envs`,
        lower-cased and without the prefix, so a flow never sees the rest of the environment (AWS
        credentials among it). ``KITE_GLOBALS`` holds the globals as a JSON or YAML mapping."""
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
        )


def _globals(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = yaml.safe_load(text) if not text.lstrip().startswith("{") else json.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"KITE_GLOBALS is not valid JSON or YAML: {exc}") from None
    if not isinstance(value, dict):
        raise ConfigError("KITE_GLOBALS must be a mapping")
    return value
