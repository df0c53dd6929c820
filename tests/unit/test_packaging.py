"""The distribution `kite` ships three top-level packages, and its Lambda artifact is it without extras."""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
from pathlib import Path

from packaging.requirements import Requirement

import infra
import infra.embedded.template
from infra.embedded.template import load_template, template_path

LAYERS = ("engine", "infra", "functions")
# What Lambda's python3.12 on arm64 evaluates dependency markers with.
LAMBDA_MARKERS = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "platform_machine": "aarch64",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
LOCAL_ONLY = {"moto", "time-machine"}


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def test_no_other_distribution_provides_engine_infra_or_functions() -> None:
    """A `pip --target` artifact holds every dependency side by side: a second `engine` would clash."""
    providers = metadata.packages_distributions()
    assert {name: set(providers.get(name, [])) for name in LAYERS} == {name: {"kite"} for name in LAYERS}


def test_every_function_handler_of_the_template_imports() -> None:
    functions = load_template().functions
    assert functions
    for function in functions:
        module, _, attribute = function.handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute)), function.logical_id


def _lambda_closure() -> set[str]:
    """Every distribution the artifact installs: kite's requirements without extras, transitively, as far as
    this environment has them installed."""
    seen: set[str] = set()
    todo = ["kite"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # marked for another platform than this one: its own requirements stay unknown
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({**LAMBDA_MARKERS, "extra": ""}):
                todo.append(_canonical(requirement.name))
    return seen


def test_the_lambda_artifact_has_neither_moto_nor_time_machine() -> None:
    closure = _lambda_closure()
    assert {"botocore", "pydantic", "aws-lambda-powertools"} <= closure
    assert closure.isdisjoint(LOCAL_ONLY)


def test_the_local_extra_brings_the_embedded_stack() -> None:
    extras = [Requirement(text) for text in metadata.requires("kite") or []]
    local = {_canonical(r.name) for r in extras if r.marker and r.marker.evaluate({"extra": "local"})}
    assert local >= LOCAL_ONLY


def test_the_packaged_template_is_the_root_template() -> None:
    """`infra/embedded/template.yaml` links to the root's, so an installed kite builds the same stack."""
    packaged = Path(infra.embedded.template.__file__).with_name("template.yaml")
    assert packaged.resolve() == (Path(infra.__file__).parent.parent / "template.yaml").resolve()
    assert template_path() == packaged
