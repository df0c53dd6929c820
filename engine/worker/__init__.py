"""One attempt of a runnable task run — on a worker, or inline in the dispatcher — and its task cache."""
