"""Harvest-compatible sandbox: one deterministic synthetic organisation served as v3 and v1.

    data.py      Organisation(seed, candidates): canonical (v3-shaped) records, advance()
    store.py     lazy tables and filtered id queries under the organisation
    v1.py        v1 payloads rendered from the canonical records
    server.py    the HTTP server (token, /v3, /v1, /_admin), rate limits and faults
    cli.py       `python -m sandbox`
    expected.py  what a full extract must land (ids, counts, dlt child tables)

See docs/sandbox.md.
"""
