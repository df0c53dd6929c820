"""Values: Execution, TaskRun, State, LogEntry, labels and ids, durations, internal storage paths, and
Kestra's execution JSON (`serde`). No behaviour beyond what a value says about itself."""
