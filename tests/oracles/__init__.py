"""Test oracles: the numbers a full extract and the marts must show, computed independently from
the sandbox organisation in plain Python (test code: never part of the runtime packages).

    landing.py   ids, counts and dlt child tables a full extract must land
    marts.py     the figures of the marts
"""
