"""A flow's definition: its model, its task graph, the YAML loader, plugin defaults and the JSON Schema."""
