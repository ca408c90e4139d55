"""`python -m sandbox`: serve the Harvest-compatible sandbox (see docs/sandbox.md)."""

from sandbox.cli import serve

serve()
