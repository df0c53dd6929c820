"""The engine: Kestra's workflow model in pure Python, no AWS. Its layers, lowest first: model, resources,
expressions and kv, task_api, tasks, flow, ports, creation and config, runtime, executor, services,
memory (pyproject.toml's import-linter contract; CONTRIBUTING.md says what goes where)."""
