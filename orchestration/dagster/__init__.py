"""Dagster code location for the pipeline (``pip install 'greenhouse-elt[dagster]'``):
``dagster dev -m orchestration.dagster``. See docs/orchestrators.md."""

from orchestration.dagster.definitions import defs

__all__ = ["defs"]
