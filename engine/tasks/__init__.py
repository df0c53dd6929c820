"""The built-in task types, one module each, written against `engine.task_api`. Each module is imported the
first time a flow names one of its types: `catalog.py` says which module registers which name."""

from engine.task_api.registry import register_catalog
from engine.tasks.catalog import MODULES

register_catalog(MODULES)
