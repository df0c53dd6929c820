"""The built-in task types, one module each, written against `engine.task_api`. Importing this package
imports every module in it, so each type is registered (`@task_type`) before any flow is read."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
