"""`make bench`: the performance harness (targets and method: docs/performance.md).

`python -m bench --size default|enterprise` starts the Harvest-compatible sandbox as a
subprocess, runs each scenario as a measured subprocess (wall clock, peak RSS of the process
tree, the sandbox's own request counters) and writes `bench/results/latest.md` + `latest.json`.
`bench/baseline.py` is the plain dlt `rest_api` configuration used for comparison only.
"""
