"""What both asset groups share: the run's environment, its history rows and its failures.

The assets resolve their configuration the way ``elt`` does (``extract.settings``: the
``GREENHOUSE_*`` / ``DEST`` variables, dlt's ``SOURCES__GREENHOUSE__*`` names and ``.dlt/``
files), so a Dagster deployment needs no configuration of its own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import Failure

from extract import history
from extract.messages import describe_failure
from extract.stages import NOT_RECORDED


@contextmanager
def environ(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in ``os.environ`` for the length of the block. dagster-dbt's ``DbtCliResource``
    hands dbt a copy of ``os.environ`` and takes no environment of its own, so the profile
    variables that ``elt`` passes to its dbt child (extract/handoff.py) are set here."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class StageRecord:
    """One stage's row in the run history (``elt_runs``, extract/history.py), under the Dagster
    run's id, so the ``pipeline_runs`` mart shows Dagster's runs beside the CLI's."""

    def __init__(self, stage: str, run_id: str) -> None:
        self.stage = stage
        self.run_id = run_id
        self.started = time.time()

    def write(
        self,
        exit_code: int,
        error: str | None = None,
        summary: dict[str, Any] | None = None,
        dbt_results: dict[str, int] | None = None,
    ) -> None:
        if exit_code in NOT_RECORDED:  # a configuration error writes nothing, as with `elt`
            return
        row = history.stage_row(self.stage, self.started, exit_code, error, summary, dbt_results)
        row["run_id"] = self.run_id
        history.record(row)

    def failure(
        self, exc: BaseException, secrets: list[str], summary: dict[str, Any] | None = None
    ) -> Failure:
        """The stage's failure: recorded, and as the one line ``elt`` would print."""
        message, code = describe_failure(exc, secrets)
        self.write(code, message, summary)
        return Failure(description=f"{self.stage}: {message}", metadata={"exit_code": code})
