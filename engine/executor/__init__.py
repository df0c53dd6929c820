"""The executor: `advance()` applies events to an execution and runs passes until nothing changes (spec part 2
§12). `advance.py` routes each event to the module of its concern; `passes.py` is the pass itself."""
