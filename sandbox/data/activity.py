"""Record generators for what follows an application: interviews, scorecards, EEOC answers and
demographic survey answers (same scheme as `sandbox.data.records`)."""

from __future__ import annotations

from typing import Any

from sandbox import pools
from sandbox.data.ids import FIRST_ID, SALT
from sandbox.data.records import Records
from sandbox.data.timestamps import HOUR, iso
from sandbox.store import Record


class Activity(Records):
    """Interviews and scorecards follow the stage timeline of `_plan`; one survey per app."""

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

    def _gen_interviews(self, k: int) -> list[Record]:
        slots = self._interview_slots(k)
        if not slots:
            return []
        plan = self._plan(k)
        j = int(self.app_job[k])
        first = self._child_first_id("interviews", k)
        r = self._rng(SALT["interviews"] + 100, plan["aid"])
        rows = []
        for i, (pos, starts, ends, complete) in enumerate(slots):
            entered = plan["timeline"][pos][0]
            status = "complete" if complete else r.choice(("scheduled", "awaiting_feedback"))
            rows.append(
                {
                    "id": first + i,
                    "created_at": iso(entered),
                    "updated_at": iso(max(entered, min(ends, plan["la"]))),
                    "job_id": FIRST_ID["jobs"] + j,
                    "application_id": plan["aid"],
                    "job_interview_id": self.job_stage_ids[j][pos] * 10 + 1,
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

    def _gen_scorecards(self, k: int) -> list[Record]:
        slots = [s for s in self._interview_slots(k) if s[3]]
        if not slots:
            return []
        plan = self._plan(k)
        j = int(self.app_job[k])
        first = self._child_first_id("scorecards", k)
        r = self._rng(SALT["scorecards"], plan["aid"])
        rows = []
        for i, (pos, _starts, ends, _c) in enumerate(slots):
            exited = plan["timeline"][pos][1]
            bound = exited if exited is not None else plan["la"]
            submitted = max(min(ends + r.randint(0, 20 * HOUR), bound), plan["timeline"][pos][0])
            interviewer = r.choice(self.active_user_ids)
            note = r.choice(("Strong SQL — très bien.", "Needs mentoring on system design.", None))
            rows.append(
                {
                    "id": first + i,
                    "created_at": iso(plan["timeline"][pos][0]),
                    "updated_at": iso(submitted),
                    "interview_kit_id": self.job_stage_ids[j][pos] * 10 + 2,
                    "interviewer_id": interviewer,
                    "interviewed_at": iso(ends),
                    "notes": note,
                    "notes_with_tags": note,
                    "submitter_id": interviewer,
                    "candidate_rating": r.choice(
                        ("definitely_not", "no", "yes", "strong_yes", "no_decision")
                    ),
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
