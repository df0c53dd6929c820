"""Task types, one module each, found by `registry` (Kestra type name → class)."""
