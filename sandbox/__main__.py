"""`python -m sandbox`: serve the Harvest-compatible sandbox (see docs/sandbox.md)."""

from sandbox.cli import main

raise SystemExit(main())
