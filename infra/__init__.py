"""Everything that touches AWS or the process: adapters (aws, system), the embedded stack (embedded) and
the CLI (cli)."""
