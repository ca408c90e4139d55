"""The state an organisation carries, declared once for the parts that build and read it.

`Organisation` is assembled from one class per concern (reference data, structure, record
generators, change over time); each of them reads and writes these attributes.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from sandbox.data.rng import record_rng
from sandbox.store import Record, Table


class OrganisationState:
    """Attributes shared by the parts of `Organisation` (set while it is built)."""

    seed: int
    size: int
    now: int
    advances: int
    odd_custom_field_keys: bool  # also the fields of custom_fields.ODD_CUSTOM_FIELDS
    # reference data (small, eager entities)
    small: dict[str, list[Record]]
    user_ids: list[int]
    active_user_ids: list[int]
    custom_fields_by_type: dict[str, list[Record]]
    demographic_options: list[list[Record]]
    _cf_pools: dict[str, list[dict[str, Any]]]
    # jobs
    n_jobs: int
    job_stage_ids: list[list[int]]
    job_stage_names: list[list[str]]
    job_active_mask: np.ndarray
    job_iv_mask: np.ndarray
    job_nstages: np.ndarray
    job_status: list[str]
    job_posts_of: list[list[int]]
    hiring_manager_of_job: list[int]
    job_interview_ids: list[list[int | None]]
    # structure of candidates, applications and their children
    n_cand: int
    n_app: int
    cand_starts: np.ndarray
    cand_created: np.ndarray
    cand_la: np.ndarray
    cand_updated: np.ndarray
    app_cand: np.ndarray
    app_job: np.ndarray
    app_status: np.ndarray
    app_cur: np.ndarray
    app_entered: np.ndarray
    app_created: np.ndarray
    app_la: np.ndarray
    app_la_built: np.ndarray  # app_la as built, before any advance() (see Records._plan)
    app_updated: np.ndarray
    app_prospect: np.ndarray
    child_counts: dict[str, np.ndarray]
    # interview panels: per application and interview slot (see Structure._build_panels)
    app_panel_sizes: np.ndarray
    app_panel_cancelled: np.ndarray
    app_panel_submitted: np.ndarray
    # openings
    hired_by_job: np.ndarray
    hire_starts: np.ndarray
    opening_starts: np.ndarray
    n_hired_of_job: np.ndarray
    n_open_of_job: np.ndarray
    unfilled_closed_at: np.ndarray  # per job: close time of its closed-unfilled opening, or -1
    opening_bounds: tuple[np.ndarray, np.ndarray]
    # tables and what advance() added
    tables: dict[str, Table]
    _added_apps_of_cand: dict[int, list[int]]
    _added_children: dict[tuple[str, int], list[int]]
    _plan_cache: dict[int, dict[str, Any]]

    def _rng(self, salt: int, id_: int) -> random.Random:
        return record_rng(self.seed, salt, id_)

    def get(self, entity: str, id_: int) -> Record | None:
        return self.tables[entity].get(id_)

    def require(self, entity: str, id_: int) -> Record:
        """`get` for a reference the data guarantees (a foreign key of a generated record)."""
        rec = self.get(entity, id_)
        if rec is None:
            raise KeyError(f"{entity} {id_} does not exist")
        return rec
