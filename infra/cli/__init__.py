"""The `kite` command."""
