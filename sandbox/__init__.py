"""Harvest-compatible sandbox: one deterministic synthetic organisation served as v3 and v1.

    data/        Organisation(seed, candidates): canonical (v3-shaped) records, advance()
    store.py     lazy tables and filtered id queries under the organisation
    v1.py        v1 payloads rendered from the canonical records
    server/      the HTTP server (token, /v3, /v1, /_admin), rate limits and faults
    process.py   the sandbox as a subprocess, default credentials, a client's GREENHOUSE_* env
    cli.py       `python -m sandbox` (the click command `serve`)

What a full extract must land is test code: tests/oracles/. See docs/sandbox.md.
"""
