"""Adapters on the process itself, in Lambda and locally alike: the system clock, secure randomness, HTTP
through urllib, and secrets from environment variables."""
