"""Plugin defaults (spec part 1 §11), injected into a flow's raw YAML data before it is validated.

Kestra 1.3's rules (`PluginDefaultService`): defaults come from the flow (`pluginDefaults`, or the deprecated
`taskDefaults` when there is none), then from the configuration: the namespace's (Kestra EE's namespace
plugin defaults, the flow's namespace first, then its parents), then the global ones; most important first.
Every mapping of the flow tree that has a `type` is a plugin; a default applies to it when its type equals
the plugin's or is a plain string prefix of it. For one plugin:

* a non-forced default only fills what is still missing, so the plugin wins, then the first default;
* a named default (`ref`) applies only to a plugin that asks for it with `pluginDefaultsRef`, which then gets
  no non-forced type default; the marker is consumed once the reference resolved;
* a forced default stamps over everything, applied last so the last one wins (the admin-most level: a flow
  cannot bypass a forced global default). A forced type default also supersedes a named one.

Values merge deeply: maps recursively, lists concatenated, `null` never overrides. Because the injection
runs before validation, defaults may supply required properties; a value a task cannot take, supplied by a
prefix, is left out rather than refused (a prefix covers many plugins, not all with the same properties).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from msgspec import Struct, field

from engine.flow.model import PluginDefault
from engine.task_api.registry import canonical_type, property_names

PLUGIN_DEFAULTS_REF = "pluginDefaultsRef"
# The flow's own declarations, not plugins to default.
_DECLARATIONS = ("pluginDefaults", "taskDefaults")


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` wins, except that maps merge, lists concatenate and a `null` never replaces a value."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if value is None and key in merged:
            continue
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[key] = [*current, *value]
        else:
            merged[key] = value
    return merged


def flow_defaults(data: Mapping[str, Any]) -> list[PluginDefault]:
    """The flow's well-formed declarations; malformed ones are left to validation, which reports them."""
    declared = data.get("pluginDefaults")
    if declared is None:
        declared = data.get("taskDefaults")
    found = []
    for item in declared if isinstance(declared, list) else ():
        try:
            found.append(PluginDefault.model_validate(item))
        except ValueError:
            continue
    return found


class ConfiguredDefaults(Struct, frozen=True):
    """The plugin defaults of the configuration: global ones, and per namespace (inherited by children)."""

    globals: tuple[PluginDefault, ...] = ()
    namespaces: Mapping[str, tuple[PluginDefault, ...]] = field(default_factory=dict)

    def for_namespace(self, namespace: str) -> list[PluginDefault]:
        """Most important first: the namespace's own, its parents' (closest first), then the global ones."""
        parts = namespace.split(".")
        chain = [".".join(parts[:end]) for end in range(len(parts), 0, -1)]
        return [*(d for name in chain for d in self.namespaces.get(name, ())), *self.globals]


def inject(data: dict[str, Any], configured: ConfiguredDefaults | None = None) -> dict[str, Any]:
    """`data` with every default applied: the flow's declarations first, then the configured ones."""
    namespace = data.get("namespace")
    from_config = configured.for_namespace(namespace) if configured and isinstance(namespace, str) else []
    defaults = _with_canonical_types([*flow_defaults(data), *from_config])
    if not defaults:
        return data
    injector = _Injector(
        [d for d in defaults if d.ref is None and not d.forced],
        [d for d in defaults if d.ref is None and d.forced],
        _named(d for d in defaults if d.ref is not None),
    )
    return {k: v if k in _DECLARATIONS else injector.walk(v) for k, v in data.items()}


def _with_canonical_types(defaults: list[PluginDefault]) -> list[PluginDefault]:
    """A default declared with a legacy alias also applies to the canonical type (Kestra's `addAliases`)."""
    aliased = [
        d.model_copy(update={"type": canonical_type(d.type)})
        for d in defaults
        if canonical_type(d.type) != d.type
    ]
    return defaults + aliased


class _Named(Struct, frozen=True):
    """The default a `ref` resolves to, and every type declared under that name."""

    winner: PluginDefault
    types: frozenset[str]


def _named(defaults: Iterable[PluginDefault]) -> dict[str, _Named]:
    by_ref: dict[str, list[PluginDefault]] = {}
    for default in defaults:
        assert default.ref is not None
        by_ref.setdefault(default.ref, []).append(default)
    named = {}
    for ref, candidates in by_ref.items():
        # Shadowing, not merging: the last forced one (admin-most), else the first (most important).
        forced = [d for d in candidates if d.forced]
        winner = forced[-1] if forced else candidates[0]
        named[ref] = _Named(winner, frozenset(d.type for d in candidates))
    return named


def _matches(plugin_type: str, default_types: Iterable[str]) -> bool:
    names = {plugin_type, canonical_type(plugin_type)}
    return any(name.startswith(t) for name in names for t in default_types)


class _Injector(Struct, frozen=True):
    plain: list[PluginDefault]
    forced: list[PluginDefault]
    named: dict[str, _Named]

    def walk(self, node: Any) -> Any:
        # Children first, as Kestra does: what a default adds is not itself defaulted.
        if isinstance(node, list):
            return [self.walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        walked = {key: self.walk(value) for key, value in node.items()}
        plugin_type = walked.get("type")
        return self._plugin(walked, plugin_type) if isinstance(plugin_type, str) else walked

    def _plugin(self, plugin: dict[str, Any], plugin_type: str) -> dict[str, Any]:
        forced = [d for d in self.forced if _matches(plugin_type, [d.type])]
        ref = plugin.get(PLUGIN_DEFAULTS_REF)
        result = plugin
        if ref is None:
            for default in self.plain:
                if _matches(plugin_type, [default.type]):
                    result = deep_merge(_accepted(plugin_type, default.values), result)
        elif isinstance(ref, str) and ref in self.named and _matches(plugin_type, self.named[ref].types):
            # Resolved: the marker goes; a forced type default, if any, takes over from the named one.
            result = {k: v for k, v in result.items() if k != PLUGIN_DEFAULTS_REF}
            winner = self.named[ref].winner
            if not forced:
                values = _accepted(plugin_type, winner.values)
                result = deep_merge(result, values) if winner.forced else deep_merge(values, result)
        for default in forced:
            result = deep_merge(result, _accepted(plugin_type, default.values))
        return result


def _accepted(plugin_type: str, values: Mapping[str, Any]) -> Mapping[str, Any]:
    """The values a task of this type can take (all of them for other plugins: triggers, conditions…)."""
    names = property_names(plugin_type)
    return values if names is None else {k: v for k, v in values.items() if k in names}
