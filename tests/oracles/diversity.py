"""The `diversity_funnel` rows, computed straight from the organisation's canonical records.

The independent side of tests/transform/test_diversity.py: plain Python over
`Organisation.records(...)`, sharing no code or SQL with the dbt project, implementing the
definition in docs/transform.md ("Diversity reporting"):

- Candidate applications only (prospects and applications without a job left out). Each is
  counted once per EEOC category: its answer in lower case, or `not answered` when it has no
  EEOC response or skipped the question.
- Steps: `applied` (every application), `stage` (each stage of the job reached: v3 an
  `application_stages` row with `entered_at`; v1 every stage of the job whose order is at most
  the current stage's), `offered` (an offer of any version), `hired` (status hired). Job rows
  have every step; department rows applied, offered and hired. Every cell gets every step of its
  group, zeros included.
- Suppression per group (category x job, category x department): cells under `min_cell` are
  hidden (a department cell also when a job of the department hides that value); then, while
  fewer than two cells are hidden or they hold fewer than `min_cell` applications together, the
  smallest visible cell (ties by the answer id, 0 for `not answered`) is hidden too. Hidden
  cells show None; the group's `suppressed` row sums them per step.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

Row = dict[str, Any]
CATEGORIES = {
    "gender": "gender",
    "race": "race",
    "veteran": "veteran_status",
    "disability": "disability_status",
}
NOT_ANSWERED = "not answered"
Step = tuple[str, int | None]  # (funnel step, stage id)
SUPPRESSED = "suppressed"
OUTCOMES = ("applied", "offered", "hired")

# (level, group id, category) -> {value: cell size}; a group's cells for hiding
Cells = dict[tuple[str, int, str], dict[str, int]]


class RecordSource(Protocol):
    def records(self, entity: str) -> Iterable[Row]: ...


def _answer(response: Row | None, field: str) -> tuple[str, int]:
    """(value, answer id) of one EEOC question: the description in lower case, or not answered."""
    answer = (response or {}).get(field) or {}
    description = answer.get("description")
    if description is None or not description.strip():
        return NOT_ANSWERED, 0
    return description.strip().lower(), answer["id"]


def _reached(org: RecordSource, version: str, applications: dict[int, Row]) -> dict[int, set]:
    """Application id -> the ids of the stages of its job it reached."""
    reached: dict[int, set] = defaultdict(set)
    if version == "v3":
        for visit in org.records("application_stages"):
            if visit["entered_at"] is not None and visit["application_id"] in applications:
                reached[visit["application_id"]].add(visit["job_interview_stage_id"])
        return reached
    stages = {s["id"]: s for s in org.records("job_interview_stages")}
    for app in applications.values():
        current = stages.get(app["stage_id"])
        if current is None:
            continue
        for stage in stages.values():
            if (
                stage["job_id"] == current["job_id"]
                and stage["sort_order"] <= current["sort_order"]
            ):
                reached[app["id"]].add(stage["id"])
    return reached


def hidden_values(cells: dict[str, int], ranks: dict[str, int], forced: set, min_cell: int) -> set:
    """The values of one group to hide: the small (or forced) ones, then the smallest others
    until at least two are hidden and they hold at least `min_cell` applications together."""
    hidden = {v for v, size in cells.items() if size < min_cell or v in forced}
    if not hidden:
        return hidden
    others = sorted((v for v in cells if v not in hidden), key=lambda v: (cells[v], ranks[v]))
    for value in others:
        if len(hidden) >= 2 and sum(cells[v] for v in hidden) >= min_cell:
            break
        hidden.add(value)
    return hidden


@dataclass
class Tally:
    """The applications of the organisation, counted per group, cell and step."""

    jobs: dict[int, Row]
    departments: dict[int, str]
    stages: dict[int, Row]
    # (level, group id) -> job id, department id, the steps of the group
    groups: dict[tuple[str, int], tuple[int | None, int | None, list[Step]]] = field(
        default_factory=dict
    )
    # (level, group, category, value, step, stage id) -> applications
    counts: dict[tuple, int] = field(default_factory=lambda: defaultdict(int))
    cells: Cells = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    ranks: dict[tuple[str, str], int] = field(default_factory=dict)


def tally(org: RecordSource, version: str) -> Tally:
    t = Tally(
        jobs={j["id"]: j for j in org.records("jobs")},
        departments={d["id"]: d["name"] for d in org.records("departments")},
        stages={s["id"]: s for s in org.records("job_interview_stages")},
    )
    applications = {
        a["id"]: a for a in org.records("applications") if not a["prospect"] and a["job_id"]
    }
    responses = {e["application_id"]: e for e in org.records("eeoc")}
    offered = {o["application_id"] for o in org.records("offers")}
    reached = _reached(org, version, applications)
    for app in applications.values():
        job = t.jobs[app["job_id"]]
        department = job["department_id"]
        steps: list[Step] = [("applied", None)]
        steps += [("stage", stage_id) for stage_id in reached[app["id"]]]
        steps += [("offered", None)] if app["id"] in offered else []
        steps += [("hired", None)] if app["status"] == "hired" else []
        job_steps: list[Step] = [("applied", None)]
        job_steps += [("stage", s) for s in sorted(t.stages) if t.stages[s]["job_id"] == job["id"]]
        job_steps += [("offered", None), ("hired", None)]
        outcomes: list[Step] = [(s, None) for s in OUTCOMES]
        # (level, group id, job id, the steps taken, the steps of the group)
        placements: list[tuple[str, int, int | None, list[Step], list[Step]]] = [
            ("job", job["id"], job["id"], steps, job_steps),
            ("department", department or 0, None, [s for s in steps if s[0] != "stage"], outcomes),
        ]
        for category, column in CATEGORIES.items():
            value, rank = _answer(responses.get(app["id"]), column)
            t.ranks[(category, value)] = rank
            for level, group, job_id, taken, grid in placements:
                t.groups[(level, group)] = (job_id, department, grid)
                t.cells[(level, group, category)][value] += 1
                for step, stage_id in taken:
                    t.counts[(level, group, category, value, step, stage_id)] += 1
    return t


def hidden_cells(t: Tally, min_cell: int) -> dict[tuple[str, int, str], set]:
    """(level, group, category) -> the values hidden there; job groups first, as a department
    hides every value one of its jobs hides."""
    hidden: dict[tuple[str, int, str], set] = {}
    for level in ("job", "department"):
        for (lvl, group, category), sizes in t.cells.items():
            if lvl != level:
                continue
            forced = set()
            if level == "department":
                forced = {
                    value
                    for (l2, g2, c2), values in hidden.items()
                    if l2 == "job" and c2 == category and (t.groups[(l2, g2)][1] or 0) == group
                    for value in values
                }
            value_ranks = {v: t.ranks[(category, v)] for v in sizes}
            hidden[(level, group, category)] = hidden_values(sizes, value_ranks, forced, min_cell)
    return hidden


def suppression_kinds(org: RecordSource, version: str, min_cell: int = 5) -> Counter:
    """How many cells are visible, hidden for being small (`primary`), hidden although large
    enough (`complementary`) - so a test can show its data exercises every case."""
    t = tally(org, version)
    hidden = hidden_cells(t, min_cell)
    kinds: Counter = Counter()
    for key, sizes in t.cells.items():
        for value, size in sizes.items():
            if value not in hidden[key]:
                kinds[f"{key[0]} visible"] += 1
            else:
                kinds[f"{key[0]} {'primary' if size < min_cell else 'complementary'}"] += 1
    return kinds


def diversity_funnel(org: RecordSource, version: str, min_cell: int = 5) -> list[Row]:
    """Expected `greenhouse_marts.diversity_funnel` rows."""
    t = tally(org, version)
    hidden = hidden_cells(t, min_cell)
    rows = []
    for (level, group, category), sizes in t.cells.items():
        job_id, department, grid = t.groups[(level, group)]
        hide = hidden[(level, group, category)]
        for step, stage_id in grid:
            stage = t.stages.get(stage_id) if stage_id is not None else None
            common = {
                "job_id": job_id,
                "department_id": department,
                "stage_id": stage_id,
                "funnel_level": level,
                "eeoc_category": category,
                "funnel_step": step,
                "job_name": t.jobs[job_id]["name"] if job_id else None,
                "department_name": t.departments.get(department) if department else None,
                "stage_name": stage["name"] if stage else None,
                "stage_order": stage["sort_order"] if stage else None,
            }
            shown: dict[str, tuple[int | None, bool]] = {v: (None, True) for v in hide}
            shown |= {
                v: (t.counts[(level, group, category, v, step, stage_id)], False)
                for v in sizes
                if v not in hide
            }
            if hide:
                total = sum(t.counts[(level, group, category, v, step, stage_id)] for v in hide)
                shown[SUPPRESSED] = (total, False)
            for value, (applications, is_suppressed) in shown.items():
                key = f"{level}-{group}-{category}-{value}-{step}-{stage_id or 0}"
                rows.append(
                    {"diversity_funnel_id": key}
                    | common
                    | {
                        "eeoc_value": value,
                        "applications": applications,
                        "is_suppressed": is_suppressed,
                    }
                )
    return rows
