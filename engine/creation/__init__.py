"""Before an execution exists: its inputs typed and validated (SECRET ones sealed, FILE ones stored), the
flow's checks, and the new Execution value that every creation path (API, Subflow, trigger) builds."""
