"""The services over the ports: the dispatcher (one step of an execution), the worker (one attempt), the
execution and flow APIs, and the queue message bodies. `app.Services` wires them."""
