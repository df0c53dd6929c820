"""Running a task run, for the executor and the worker alike: its expression variables, the port services its
expressions and tasks reach, its RunContext, one attempt of a runnable task, the task cache, the retry
policy."""
