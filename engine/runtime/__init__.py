"""What the executor and the worker share to run a task run: its expression variables, the port services
its expressions and tasks reach, its RunContext and the retry policy."""
