"""``python -m bench``: the same command as ``elt bench``."""

from bench.cli import bench

bench()
