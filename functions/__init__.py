"""Lambda entry points, one module per function of template.yaml (its `Handler`), and the composition root
(`app`): settings from the environment, AWS adapters, services."""
