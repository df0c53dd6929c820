"""Plugin defaults (spec part 1 §11): matching, precedence, deep merge, named defaults, validation."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import ConfigError, EngineConfig
from engine.flow.loader import InvalidFlowError, parse_flow
from engine.flow.model import PluginDefault
from engine.flow.plugin_defaults import ConfiguredDefaults, deep_merge, inject

RETURN = "io.kestra.plugin.core.debug.Return"
LOG = "io.kestra.plugin.core.log.Log"


def _task(**props: Any) -> dict[str, Any]:
    return {"id": "t", "type": RETURN, **props}


def _defaults(*items: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": RETURN, **item} for item in items]


def _injected(task: dict[str, Any], declared: list[dict[str, Any]], key: str = "pluginDefaults") -> Any:
    data = {"id": "f", "namespace": "n", "tasks": [task], key: declared}
    return inject(data)["tasks"][0]


@pytest.mark.parametrize(
    ("task", "declared", "expected"),
    [
        # Non-forced: fills what is missing, the task wins, then the first default.
        (_task(), _defaults({"values": {"format": "a"}}, {"values": {"format": "b"}}), "a"),
        (_task(format="own"), _defaults({"values": {"format": "a"}}), "own"),
        # Forced: stamps over the task, the last forced one wins, whatever non-forced ones say.
        (
            _task(format="own"),
            _defaults(
                {"forced": True, "values": {"format": "f1"}},
                {"forced": True, "values": {"format": "f2"}},
                {"values": {"format": "plain"}},
            ),
            "f2",
        ),
        # A plain string prefix matches; another package does not.
        (_task(), [{"type": "io.kestra.plugin.core.", "values": {"format": "p"}}], "p"),
        (_task(), [{"type": "io.kestra.plugin.cores", "values": {"format": "p"}}], None),
        # A default declared with a legacy alias applies to the canonical type, and the other way round.
        (_task(), [{"type": "io.kestra.core.tasks.debugs.Return", "values": {"format": "alias"}}], "alias"),
        (
            {"id": "t", "type": "io.kestra.core.tasks.debugs.Return"},
            [{"type": RETURN, "values": {"format": "canonical"}}],
            "canonical",
        ),
    ],
)
def test_which_value_wins(task: dict[str, Any], declared: list[dict[str, Any]], expected: str | None) -> None:
    assert _injected(task, declared).get("format") == expected


def test_named_defaults_apply_only_to_the_tasks_that_ask_and_replace_the_type_defaults() -> None:
    declared = _defaults(
        {"values": {"format": "typed", "description": "typed"}},
        {"ref": "cfg", "values": {"format": "named"}},
    )
    data = {
        "tasks": [_task(id="asks", pluginDefaultsRef="cfg"), _task(id="plain")],
        "pluginDefaults": declared,
    }
    asks, plain = inject(data)["tasks"]
    # The marker is consumed; the type default is not stacked under the named one.
    assert asks == {"id": "asks", "type": RETURN, "format": "named"}
    assert plain["format"] == "typed"


@pytest.mark.parametrize(
    "declared",
    [
        [],  # no such name
        [{"type": LOG, "ref": "cfg", "values": {"message": "x"}}],  # declared for another type
    ],
)
def test_an_unresolved_reference_keeps_its_marker(declared: list[dict[str, Any]]) -> None:
    assert _injected(_task(pluginDefaultsRef="cfg"), declared)["pluginDefaultsRef"] == "cfg"


def test_a_forced_type_default_supersedes_a_named_one() -> None:
    declared = _defaults(
        {"ref": "cfg", "forced": True, "values": {"format": "named"}},
        {"forced": True, "values": {"format": "enforced"}},
    )
    assert _injected(_task(pluginDefaultsRef="cfg"), declared) == {
        "id": "t",
        "type": RETURN,
        "format": "enforced",
    }


def test_flow_defaults_win_over_configured_ones_unless_those_are_forced() -> None:
    source = f"""
id: f
namespace: n
pluginDefaults:
  - type: {LOG}
    values: {{message: from-flow, level: WARN}}
  - type: {LOG}
    forced: true
    values: {{description: flow-forced}}
tasks:
  - id: a
    type: {LOG}
"""
    configured = ConfiguredDefaults(
        (
            PluginDefault(type=LOG, values={"message": "global", "level": "ERROR", "logLevel": "DEBUG"}),
            PluginDefault(type="io.kestra.plugin.core", forced=True, values={"description": "global-forced"}),
        )
    )
    task = parse_flow(source, "f.yaml", configured).tasks[0]
    assert task.model_dump(by_alias=True, include={"message", "level", "log_level", "description"}) == {
        "message": "from-flow",
        "level": "WARN",
        "logLevel": "DEBUG",
        "description": "global-forced",
    }


def test_namespace_defaults_sit_between_the_flow_and_the_global_ones() -> None:
    def default(message: str, *, forced: bool = False) -> tuple[PluginDefault, ...]:
        # A type no task has: its values are neither checked nor filtered.
        return (PluginDefault(type="x.Plugin", forced=forced, values={"message": message, message: message}),)

    configured = ConfiguredDefaults(
        default("global"),
        {"company": default("company"), "company.team": default("team"), "other": default("other")},
    )
    task = {"id": "t", "type": "x.Plugin"}
    data = {"namespace": "company.team", "tasks": [task]}
    # Non-forced: the closest namespace wins, the parent's and global values still fill the rest.
    assert inject(data, configured)["tasks"][0] == {
        **task,
        "message": "team",
        "team": "team",
        "company": "company",
        "global": "global",
    }
    assert inject({"namespace": "company", "tasks": [task]}, configured)["tasks"][0]["message"] == "company"
    # Forced: the admin-most level wins, global over namespace over flow.
    forced = ConfiguredDefaults(default("global", forced=True), {"company": default("company", forced=True)})
    own = {"namespace": "company.team", "tasks": [{**task, "message": "own"}]}
    assert inject(own, forced)["tasks"][0]["message"] == "global"


def test_the_deprecated_task_defaults_apply_only_without_plugin_defaults() -> None:
    declared = _defaults({"values": {"format": "legacy"}})
    assert _injected(_task(), declared, "taskDefaults")["format"] == "legacy"
    data = {"tasks": [_task()], "taskDefaults": declared, "pluginDefaults": _defaults({"values": {"a": 1}})}
    assert "format" not in inject(data)["tasks"][0]


def test_nested_tasks_triggers_and_conditions_are_plugins_too() -> None:
    data = {
        "tasks": [{"id": "seq", "type": "io.kestra.plugin.core.flow.Sequential", "tasks": [_task()]}],
        "triggers": [
            {"id": "s", "type": "io.kestra.plugin.core.trigger.Schedule", "conditions": [{"type": "c.X"}]}
        ],
        "pluginDefaults": [
            {"type": RETURN, "values": {"format": "nested"}},
            {"type": "io.kestra.plugin.core.trigger.", "values": {"cron": "@daily"}},
            {"type": "c.", "values": {"expression": "{{ true }}"}},
        ],
    }
    injected = inject(data)
    assert injected["tasks"][0]["tasks"][0]["format"] == "nested"
    assert injected["triggers"][0]["cron"] == "@daily"
    assert injected["triggers"][0]["conditions"][0]["expression"] == "{{ true }}"
    # The declarations themselves are not plugins.
    assert injected["pluginDefaults"] == data["pluginDefaults"]


def test_a_prefix_gives_a_task_only_the_properties_it_has() -> None:
    declared = [{"type": "io.kestra.plugin.core.", "values": {"format": "f", "message": "m"}}]
    assert _injected(_task(), declared) == {"id": "t", "type": RETURN, "format": "f"}


def test_defaults_supply_required_properties_before_validation() -> None:
    source = f"id: f\nnamespace: n\ntasks:\n  - id: a\n    type: {LOG}\n"
    with pytest.raises(InvalidFlowError, match=r"tasks\[0\]\.message: required property is missing"):
        parse_flow(source, "f.yaml")
    configured = ConfiguredDefaults((PluginDefault(type=LOG, values={"message": "hi"}),))
    flow = parse_flow(source, "f.yaml", configured)
    assert flow.tasks[0].model_dump()["message"] == "hi"


def test_an_unknown_property_of_an_exact_type_is_reported_where_it_is_declared() -> None:
    source = f"""id: f
namespace: n
pluginDefaults:
  - type: {RETURN}
    values: {{formatt: x}}
tasks:
  - id: a
    type: {RETURN}
"""
    with pytest.raises(InvalidFlowError) as caught:
        parse_flow(source, "f.yaml")
    assert [str(p) for p in caught.value.problems] == [
        f"f.yaml:4:5: pluginDefaults[0]: No property 'formatt' exists in plugin '{RETURN}'"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[{type: x}]", r"\[0\]\[values\]: Field required"),
        (f"[{{type: {RETURN}, values: {{nope: 1}}}}]", "No property 'nope' exists"),
        ("{type: x}", "must be a list"),
    ],
)
def test_configured_defaults_are_checked(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EngineConfig.from_environ({"KITE_PLUGIN_DEFAULTS": text})
    with pytest.raises(ConfigError, match=r"KITE_NAMESPACE_PLUGIN_DEFAULTS\[ns\] must be a list"):
        EngineConfig.from_environ(
            {"KITE_NAMESPACE_PLUGIN_DEFAULTS": json.dumps({"ns": yaml.safe_load(text)})}
        )


def test_configured_defaults_are_read_as_json_or_yaml() -> None:
    config = EngineConfig.from_environ(
        {
            "KITE_PLUGIN_DEFAULTS": f'[{{"type": "{LOG}", "values": {{"level": "WARN"}}}}]',
            "KITE_NAMESPACE_PLUGIN_DEFAULTS": f"company:\n  - type: {LOG}\n    values: {{level: ERROR}}\n",
        }
    )
    assert config.plugin_defaults == ConfiguredDefaults(
        (PluginDefault(type=LOG, values={"level": "WARN"}),),
        {"company": (PluginDefault(type=LOG, values={"level": "ERROR"}),)},
    )


_values = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
    max_leaves=8,
)
_maps = st.dictionaries(st.sampled_from("abcd"), _values, max_size=4)


# Generation is slow on a loaded 2-core CI machine; the property, not the speed, is under test.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_maps, _maps)
def test_deep_merge_keeps_every_key_and_lets_the_override_win_on_scalars(
    base: dict[str, Any], override: dict[str, Any]
) -> None:
    merged = deep_merge(base, override)
    assert set(merged) == set(base) | set(override)
    for key, value in override.items():
        current = base.get(key)
        if value is None and key in base:
            assert merged[key] == current
        elif isinstance(current, list) and isinstance(value, list):
            assert merged[key] == current + value
        elif not (isinstance(current, dict) and isinstance(value, dict)):
            assert merged[key] == value
