"""Record generators for what follows an application: interviews, scorecards, EEOC answers and
demographic survey answers (same scheme as `sandbox.data.records`)."""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

from sandbox import pools
from sandbox.data.ids import FIRST_ID, SALT
from sandbox.data.records import Records
from sandbox.data.timestamps import DAY, END_MS, HOUR, iso
from sandbox.store import Record

# v3 candidate_rating ("Definitely Not" is strong_no; v1 calls it definitely_not)
RATINGS = ("strong_no", "no", "yes", "strong_yes", "no_decision")
# rating weights by application status (in_process, rejected, hired, converted)
RATING_WEIGHTS = (
    (0.10, 0.25, 0.35, 0.22, 0.08),
    (0.30, 0.35, 0.20, 0.08, 0.07),
    (0.02, 0.08, 0.47, 0.38, 0.05),
    (0.10, 0.25, 0.35, 0.22, 0.08),
)
SCORECARD_MAX_LATENCY = 21 * DAY


def _scorecard_latency(r: random.Random) -> int:
    """Interview end to scorecard submission: minutes to hours mostly, some days, a few weeks."""
    u = r.random()
    if u < 0.6:
        return r.randint(5 * 60_000, 24 * HOUR - 1)
    if u < 0.9:
        return r.randint(DAY, 5 * DAY)
    return r.randint(5 * DAY, SCORECARD_MAX_LATENCY - 1)


class Activity(Records):
    """Interviews, their panels (interviewers) and scorecards follow the stage timeline of
    `_plan`; one survey per app."""

    def _interview_slots(self, k: int) -> list[tuple[int, int, int, bool]]:
        """(stage position, starts_ms, ends_ms, complete) for each interview of application k."""
        plan = self._plan(k)
        if plan["cur"] < 0:
            return []
        j = int(self.app_job[k])
        iv_mask = int(self.job_iv_mask[j])
        r = self._rng(SALT["interviews"], plan["aid"])
        in_process = int(self.app_status[k]) == 0
        out = []
        for pos in sorted(plan["timeline"]):
            if not (iv_mask >> pos) & 1:
                continue
            entered, exited = plan["timeline"][pos]
            end = exited if exited is not None else plan["la"]
            starts = entered + int(max(0, end - entered - 2 * HOUR) * r.uniform(0.2, 0.9))
            complete = not (pos == plan["cur"] and in_process)
            out.append((pos, starts, starts + r.choice((30, 45, 60)) * 60_000, complete))
        return out

    @lru_cache(maxsize=8192)  # noqa: B019 - the organisation lives as long as its cache
    def _panels(self, k: int) -> list[dict[str, Any]]:
        """Per interview of application k: its status once held (complete, awaiting_feedback,
        skipped = cancelled; None before) and panel, each member with the id and
        submission time of their scorecard (None: never submitted) and its rating.

        The panel sizes, cancellations and submissions come from the structure
        (`Structure._build_panels`); who sits on the panel, how long a scorecard takes and what
        it recommends come from the interviewers' own generator. The job's hiring manager joins
        two panels in five when active. Ratings lean on the application's outcome."""
        slots = self._interview_slots(k)
        if not slots:
            return []
        plan = self._plan(k)
        j = int(self.app_job[k])
        r = self._rng(SALT["interviewers"], plan["aid"])
        sizes, cancelled = int(self.app_panel_sizes[k]), int(self.app_panel_cancelled[k])
        submitted = int(self.app_panel_submitted[k])
        manager = self.hiring_manager_of_job[j]
        weights = RATING_WEIGHTS[int(self.app_status[k])]
        card_id = self._child_first_id("scorecards", k)
        out = []
        for i, (_pos, _starts, ends, complete) in enumerate(slots):
            size = ((sizes >> (2 * i)) & 3) + 1
            users = r.sample(self.active_user_ids, size)
            if r.random() < 0.4 and manager in self.active_user_ids and manager not in users:
                users[0] = manager
            is_cancelled = complete and bool((cancelled >> i) & 1)
            members: list[tuple[int, int | None, int | None, str | None]] = []
            for s, user in enumerate(users):
                latency = _scorecard_latency(r)
                rating = r.choices(RATINGS, weights)[0]
                if not complete or is_cancelled or not (submitted >> (4 * i + s)) & 1:
                    members.append((user, None, None, None))
                    continue
                at = min(ends + latency, END_MS)
                members.append((user, card_id, at, rating))
                card_id += 1
            status: str | None = None  # not held yet: _gen_interviews keeps its own draw
            if is_cancelled:
                status = "skipped"
            elif not complete:
                pass
            elif all(m[1] is not None for m in members):
                status = "complete"
            else:
                status = "awaiting_feedback"
            out.append({"status": status, "members": members})
        return out

    def _gen_interviews(self, k: int) -> list[Record]:
        slots = self._interview_slots(k)
        if not slots:
            return []
        plan = self._plan(k)
        j = int(self.app_job[k])
        panels = self._panels(k)
        first = self._child_first_id("interviews", k)
        r = self._rng(SALT["interviews"] + 100, plan["aid"])
        rows = []
        for i, (pos, starts, ends, complete) in enumerate(slots):
            entered = plan["timeline"][pos][0]
            status = panels[i]["status"]
            if not complete:  # not held yet
                status = r.choice(("scheduled", "awaiting_feedback"))
            rows.append(
                {
                    "id": first + i,
                    "created_at": iso(entered),
                    "updated_at": iso(max(entered, min(ends, plan["la"]))),
                    "job_id": FIRST_ID["jobs"] + j,
                    "application_id": plan["aid"],
                    "job_interview_id": self.job_interview_ids[j][pos],
                    "starts_at": iso(starts),
                    "ends_at": iso(ends),
                    "location": r.choice(("Room Ærø, 3rd floor", "Video call", None)),
                    "status": status,
                    "organizer_id": r.choice(self.active_user_ids),
                    "scheduled_at": iso(entered),
                    "all_day_start_on": None,
                    "all_day_end_on": None,
                    "external_event_id": f"evt-{first + i}",
                    "video_conferencing_url": "https://meet.example.com/sandbox"
                    if r.random() < 0.5
                    else None,
                    "availability_received_at": None,
                }
            )
        return rows

    def _gen_interviewers(self, k: int) -> list[Record]:
        """One row per interview and panel member, pointing at the member's scorecard."""
        interviews = self._gen_interviews(k)
        if not interviews:
            return []
        first = self._child_first_id("interviewers", k)
        rows: list[Record] = []
        for interview, panel in zip(interviews, self._panels(k), strict=True):
            for user, card_id, _at, _rating in panel["members"]:
                rows.append(
                    {
                        "id": first + len(rows),
                        "created_at": interview["created_at"],
                        "updated_at": interview["updated_at"],
                        "interview_id": interview["id"],
                        "user_id": user,
                        "scorecard_id": card_id,
                        "email": self.require("users", user)["primary_email"],
                        "response_status": "accepted" if card_id else "needs_action",
                    }
                )
        return rows

    def _gen_scorecards(self, k: int) -> list[Record]:
        """One scorecard per panel member who submitted one (ids in interview, panel order)."""
        slots = self._interview_slots(k)
        if not slots:
            return []
        plan = self._plan(k)
        j = int(self.app_job[k])
        r = self._rng(SALT["scorecards"], plan["aid"])
        rows = []
        for (pos, starts, _ends, _c), panel in zip(slots, self._panels(k), strict=True):
            for user, card_id, submitted, rating in panel["members"]:
                if card_id is None:
                    continue
                note = r.choice(
                    ("Strong SQL — très bien.", "Needs mentoring on system design.", None)
                )
                rows.append(
                    {
                        "id": card_id,
                        "created_at": iso(plan["timeline"][pos][0]),
                        "updated_at": iso(submitted),
                        "interview_kit_id": self.job_stage_ids[j][pos] * 10 + 2,
                        "interviewer_id": user,
                        "interviewed_at": iso(starts),
                        "notes": note,
                        "notes_with_tags": note,
                        "submitter_id": user,
                        "candidate_rating": rating,
                        "private_notes": None,
                        "private_notes_with_tags": None,
                        "status": "complete",
                        "public_notes": note,
                        "public_notes_with_tags": note,
                        "application_id": plan["aid"],
                        "submitted_at": iso(submitted),
                    }
                )
        return rows

    def _gen_eeoc(self, k: int) -> list[Record]:
        if not self.child_counts["eeoc"][k]:
            return []
        plan = self._plan(k)
        r = self._rng(SALT["eeoc"], plan["aid"])
        submitted = plan["created"] + r.randint(0, HOUR)

        def pick(pool: tuple[tuple[int, str], ...]) -> dict[str, Any] | None:
            if r.random() < 0.1:
                return None
            if r.random() < 0.1:
                return {"id": None, "description": None}
            i, d = r.choice(pool)
            return {"id": i, "description": d}

        return [
            {
                "id": self._child_first_id("eeoc", k),
                "created_at": iso(submitted),
                "updated_at": iso(submitted),
                "application_id": plan["aid"],
                "candidate_id": FIRST_ID["candidates"] + int(self.app_cand[k]),
                "gender": pick(pools.EEOC_GENDER),
                "race": pick(pools.EEOC_RACE),
                "veteran_status": pick(pools.EEOC_VETERAN),
                "disability_status": pick(pools.EEOC_DISABILITY),
                "submitted_at": iso(submitted),
            }
        ]

    def _gen_demographic_answers(self, k: int) -> list[Record]:
        n = int(self.child_counts["demographic_answers"][k])
        if n == 0:
            return []
        plan = self._plan(k)
        r = self._rng(SALT["demographic_answers"], plan["aid"])
        first = self._child_first_id("demographic_answers", k)
        submitted = iso(plan["created"] + r.randint(0, HOUR))
        extra = n > len(self.demographic_options)  # a second option on the multi-select question
        picks: list[Record] = []
        for opts in self.demographic_options:  # one answer per active question
            question = self.require("demographic_questions", opts[0]["demographic_question_id"])
            if extra and question["answer_type"] == "multi_value_multi_select":
                picks.extend(r.sample([o for o in opts if not o["decline_to_answer"]], 2))
            else:
                picks.append(r.choice(opts))
        return [
            {
                "id": first + i,
                "created_at": submitted,
                "updated_at": submitted,
                "application_id": plan["aid"],
                "demographic_question_id": opt["demographic_question_id"],
                "demographic_answer_option_id": opt["id"],
                "free_form_text": r.choice(pools.FREE_FORM_ANSWERS) if opt["free_form"] else None,
            }
            for i, opt in enumerate(picks)
        ]
