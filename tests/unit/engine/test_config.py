from __future__ import annotations

import pytest

from engine.config import ConfigError, EngineConfig


def test_envs_keep_only_the_prefix_lower_cased() -> None:
    config = EngineConfig.from_environ({"ENV_MY_VAR": "1", "ENV_": "x", "HOME": "/root", "AWS_SECRET": "s"})
    assert config.variables() == {"envs": {"my_var": "1"}, "globals": {}, "kestra": {}}


def test_prefix_globals_and_kestra_are_configurable() -> None:
    config = EngineConfig.from_environ(
        {
            "KITE_ENV_VARS_PREFIX": "KESTRA_",
            "KESTRA_A": "b",
            "ENV_IGNORED": "c",
            "KITE_GLOBALS": "team: data\nlimits: [1, 2]\n",
            "KITE_ENVIRONMENT": "prod",
            "KITE_URL": "https://kite.example.com",
        }
    )
    assert config.variables() == {
        "envs": {"a": "b"},
        "globals": {"team": "data", "limits": [1, 2]},
        "kestra": {"environment": "prod", "url": "https://kite.example.com"},
    }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"KITE_ENV_VARS_PREFIX": ""}, "must not be empty"),
        ({"KITE_GLOBALS": "{not json"}, "not valid JSON or YAML"),
        ({"KITE_GLOBALS": "[1, 2]"}, "must be a mapping"),
    ],
)
def test_bad_configuration_is_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EngineConfig.from_environ(environ)


def test_task_functions_map_task_types_to_functions() -> None:
    config = EngineConfig.from_environ({"KITE_TASK_FUNCTIONS": "com.example.Greet=greet, io.acme.Bill=arn:x"})
    assert config.task_functions == {"com.example.Greet": "greet", "io.acme.Bill": "arn:x"}
    with pytest.raises(ConfigError, match="is not TYPE=FUNCTION"):
        EngineConfig.from_environ({"KITE_TASK_FUNCTIONS": "com.example.Greet"})
