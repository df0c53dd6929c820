"""Attribute access and the whitelisted Java-like methods of Pebble values: the only ways a template reaches
into a value (called from the generated Jinja2 code)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import Undefined
from jinja2.runtime import LoopContext

from engine.expressions.errors import EvalError
from engine.expressions.operators import index_of
from engine.expressions.undefined import missing
from engine.expressions.values import (
    Entry,
    JavaLong,
    java_string,
)

# ---------------------------------------------------------------------------------------------------------
# Attribute access (a.b, a['b'], list[0]) — the only way templates reach into values.


def get_attr(obj: Any, key: Any) -> Any:
    if isinstance(obj, Undefined):
        return obj
    if isinstance(key, Undefined):
        return key
    if isinstance(obj, Mapping):
        try:
            return obj[key]
        except KeyError:
            pass
        except TypeError:
            return missing(f"Unable to find `{java_string(key)}`")
        if isinstance(key, int) and not isinstance(key, bool):
            alt = str(int(key))
            if alt in obj:
                return obj[alt]
        return missing(f"Unable to find `{java_string(key)}`")
    if obj is None:
        return missing(f"Unable to find `{java_string(key)}` (attribute of a null value)")
    if isinstance(obj, list | tuple):
        if isinstance(key, int) and not isinstance(key, bool):
            if 0 <= key < len(obj):
                return obj[int(key)]
            return missing(
                f"Index out of bounds while accessing array with strict variables on: index [{int(key)}] "
                f"of a list of size {len(obj)}"
            )
        if isinstance(key, str) and key.isdigit():
            return get_attr(obj, int(key))
    elif isinstance(obj, Entry):
        if key == "key":
            return obj.key
        if key == "value":
            return obj.value
    elif isinstance(obj, LoopContext):
        if key == "index":
            return obj.index0
        if key == "revindex":
            return obj.revindex0
        if key in ("first", "last", "length"):
            return getattr(obj, key)
    if isinstance(key, str):
        found, value = call_method(obj, key, (), property_access=True)
        if found:
            return value
    return missing(f"Unable to find `{java_string(key)}`")


# ---------------------------------------------------------------------------------------------------------
# Whitelisted Java-like methods ('abc'.length(), list.size(), map.keySet()...).


def _str_arg(value: Any) -> str:
    if not isinstance(value, str):
        raise EvalError(f"Expected a string argument, got {java_string(value)}")
    return value


_STR_METHODS: dict[str, Callable[..., Any]] = {
    "length": len,
    "isEmpty": lambda s: not s,
    "isBlank": lambda s: not s.strip(),
    "toUpperCase": lambda s: s.upper(),
    "toLowerCase": lambda s: s.lower(),
    "trim": lambda s: s.strip(" \t\n\r\x0b\x0c\x00"),
    "strip": lambda s: s.strip(),
    "toString": lambda s: s,
    "contains": lambda s, x: java_string(x) in s,
    "startsWith": lambda s, x: s.startswith(_str_arg(x)),
    "endsWith": lambda s, x: s.endswith(_str_arg(x)),
    "indexOf": lambda s, x: s.find(java_string(x)),
    "lastIndexOf": lambda s, x: s.rfind(java_string(x)),
    "equals": lambda s, x: isinstance(x, str) and s == x,
    "equalsIgnoreCase": lambda s, x: isinstance(x, str) and s.lower() == x.lower(),
    "concat": lambda s, x: s + _str_arg(x),
    "replace": lambda s, a, b: s.replace(_str_arg(a), _str_arg(b)),
}
_LIST_METHODS: dict[str, Callable[..., Any]] = {
    "size": len,
    "isEmpty": lambda v: not v,
    "contains": lambda v, x: index_of(v, x) >= 0,
    "indexOf": index_of,
    "toString": java_string,
}
_MAP_METHODS: dict[str, Callable[..., Any]] = {
    "size": len,
    "isEmpty": lambda m: not m,
    "keySet": lambda m: list(m.keys()),
    "values": lambda m: list(m.values()),
    "entrySet": lambda m: [Entry(k, v) for k, v in m.items()],
    "containsKey": lambda m, k: k in m,
    "containsValue": lambda m, x: index_of(list(m.values()), x) >= 0,
    "get": lambda m, k: m.get(k),
    "getOrDefault": lambda m, k, d: m.get(k, d),
    "toString": java_string,
}
_NUMBER_METHODS: dict[str, Callable[..., Any]] = {
    "toString": java_string,
    "intValue": int,
    "longValue": lambda x: JavaLong(int(x)),
    "doubleValue": float,
}
_ENTRY_METHODS: dict[str, Callable[..., Any]] = {
    "getKey": lambda e: e.key,
    "getValue": lambda e: e.value,
}
_BOOL_METHODS: dict[str, Callable[..., Any]] = {"toString": java_string}
# Bean-property access without parentheses: `'abc'.length`, `list.empty`, `list.size`.
_PROPERTY_ALIASES = {"empty": "isEmpty", "blank": "isBlank", "class": ""}


def _methods_for(obj: Any) -> dict[str, Callable[..., Any]] | None:
    if isinstance(obj, str):
        return _STR_METHODS
    if isinstance(obj, bool):
        return _BOOL_METHODS
    if isinstance(obj, int | float):
        return _NUMBER_METHODS
    if isinstance(obj, Mapping):
        return _MAP_METHODS
    if isinstance(obj, list | tuple):
        return _LIST_METHODS
    if isinstance(obj, Entry):
        return _ENTRY_METHODS
    return None


def call_method(
    obj: Any, name: str, args: tuple[Any, ...], property_access: bool = False
) -> tuple[bool, Any]:
    table = _methods_for(obj)
    if table is None:
        return False, None
    if property_access:
        name = _PROPERTY_ALIASES.get(name, name)
        if name.startswith("get") and name not in table and len(name) > 3:
            name = name[3].lower() + name[4:]
    method = table.get(name)
    if method is None:
        return False, None
    try:
        return True, method(obj, *args)
    except TypeError:
        if property_access:
            return False, None
        raise EvalError(
            f"Method [{name}] of [{type(obj).__name__}] cannot be called with these arguments"
        ) from None


def method_call(obj: Any, name: str, *args: Any) -> Any:
    if isinstance(obj, Undefined):
        return obj
    for arg in args:
        if isinstance(arg, Undefined):
            return arg
    found, value = call_method(obj, name, args)
    if found:
        return value
    return missing(f"Unable to find `{name}`")
