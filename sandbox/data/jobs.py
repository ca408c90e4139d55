"""Jobs with their interview stages and job posts (reference data, built eagerly).

Per job: the job record, its stages (Application Review, 2..5 from the pool in order, maybe one
inactive, Offer), one or two posts, its hiring manager and its interview slots. The stage ids,
names and bit masks (active stages, stages with interviews) are kept as arrays for the
vectorised structure of the applications.
"""

from __future__ import annotations

import random

import numpy as np

from sandbox import pools
from sandbox.data.custom_fields import CustomFields
from sandbox.data.ids import FIRST_ID
from sandbox.data.timestamps import DAY, HOUR, START_MS, iso
from sandbox.store import Record


class Jobs(CustomFields):
    """Builds jobs, job_interview_stages and job_posts into `self.small`."""

    def _build_jobs(self, r: random.Random) -> None:
        n_jobs = max(6, min(2000, self.size // 25))
        self.small["jobs"] = []
        self.small["job_interview_stages"] = []
        self.small["job_posts"] = []
        self.job_stage_ids = []
        self.job_stage_names = []
        self.job_active_mask = np.zeros(n_jobs, dtype=np.int64)
        self.job_iv_mask = np.zeros(n_jobs, dtype=np.int64)
        self.job_nstages = np.zeros(n_jobs, dtype=np.int64)
        self.job_status = []
        self.job_posts_of = []
        dept_ids = [d["id"] for d in self.small["departments"]]
        office_ids = [o["id"] for o in self.small["offices"]]
        for j in range(n_jobs):
            job, created = self._job(r, j, dept_ids, office_ids)
            self.small["jobs"].append(job)
            self._build_job_stages(r, j, job["id"], created)
            self._build_job_posts(j, job["id"], job["name"], created)
        self.n_jobs = n_jobs

    def _job(
        self, r: random.Random, j: int, dept_ids: list[int], office_ids: list[int]
    ) -> tuple[Record, int]:
        """Job j and its created_at (ms), which its stages and posts share."""
        jid = FIRST_ID["jobs"] + j
        c = START_MS - r.randint(0, 30) * DAY - r.randint(0, DAY)
        # every organisation has all three statuses: 1 in 10 draft, 1 in 5 closed
        status = "draft" if j % 10 == 5 else ("closed" if j % 5 == 3 else "open")
        self.job_status.append(status)
        name = pools.JOB_NAMES[j % len(pools.JOB_NAMES)]
        if j >= len(pools.JOB_NAMES):
            name = f"{name} ({pools.OFFICES[1 + j % 3][0]})"
        dept = None if j % 7 == 3 else r.choice(dept_ids)
        offices = [] if j % 9 == 4 else r.sample(office_ids, r.choice((1, 1, 2, 3)))
        job = {
            "id": jid,
            "created_at": iso(c),
            "updated_at": iso(c + DAY),
            "name": name,
            "requisition_id": None if j % 4 == 1 else f"REQ-{1000 + j}",
            "notes": None if j % 3 else "<p>Résumé screening by the hiring manager.</p>",
            "confidential": j % 11 == 6,
            "status": status,
            "opened_at": None if status == "draft" else iso(c + HOUR),
            "closed_at": None,  # set once applications are known
            "is_template": False if j % 13 else None,
            "copied_from_id": FIRST_ID["jobs"] if j % 8 == 7 else None,
            "department_id": dept,
            "office_ids": offices,
            "custom_fields": self._custom_fields("job", r, jid),
        }
        return job, c

    def _build_hiring_managers(self) -> None:
        """One hiring manager per job (v3 job_hiring_managers, v1 jobs.hiring_team): a fixed
        user chosen by the job id, so it needs no random draw."""
        users = self.small["users"]
        self.small["job_hiring_managers"] = []
        self.hiring_manager_of_job = []
        for j, job in enumerate(self.small["jobs"]):
            user_id = users[job["id"] % len(users)]["id"]
            self.hiring_manager_of_job.append(user_id)
            self.small["job_hiring_managers"].append(
                {
                    "id": FIRST_ID["job_hiring_managers"] + j,
                    "created_at": job["created_at"],
                    "updated_at": job["created_at"],
                    "user_id": user_id,
                    "job_id": job["id"],
                }
            )

    def _build_job_interviews(self) -> None:
        """The interview plan: one interview slot (v3 job_interviews, v1 job_stages.interviews[])
        per stage that has interviews; `job_interview_ids[j][pos]` is None for the others."""
        self.small["job_interviews"] = []
        self.job_interview_ids = []
        stages = iter(self.small["job_interview_stages"])
        for j in range(self.n_jobs):
            ids: list[int | None] = []
            for pos in range(int(self.job_nstages[j])):
                stage = next(stages)
                if not (int(self.job_iv_mask[j]) >> pos) & 1:
                    ids.append(None)
                    continue
                slot_id = FIRST_ID["job_interviews"] + len(self.small["job_interviews"])
                ids.append(slot_id)
                self.small["job_interviews"].append(
                    {
                        "id": slot_id,
                        "created_at": stage["created_at"],
                        "updated_at": stage["updated_at"],
                        "job_interview_stage_id": stage["id"],
                        "job_id": stage["job_id"],
                        "sort_order": 1,
                        "scheduling_type": "needs_scheduling",
                        "duration": 45,
                        "summary": None,
                        "instructions": None,
                        "name": stage["name"],
                        "active": stage["active"],
                        "require_scorecard": True,
                    }
                )
            self.job_interview_ids.append(ids)

    def _build_job_stages(self, r: random.Random, j: int, jid: int, c: int) -> None:
        """Application Review, 2..5 stages from the pool in order, maybe one inactive, Offer."""
        middle = sorted(r.sample(range(len(pools.STAGE_POOL)), r.randint(2, 5)))
        names = ["Application Review"] + [pools.STAGE_POOL[m][0] for m in middle] + ["Offer"]
        has_iv = [False] + [pools.STAGE_POOL[m][1] for m in middle] + [False]
        active = [True] * len(names)
        if j % 4 == 2:  # a deleted stage kept for history
            pos = r.randint(1, len(names) - 2)
            active[pos] = False
        stage_id = FIRST_ID["job_interview_stages"] + len(self.small["job_interview_stages"])
        ids = []
        for pos, sname in enumerate(names):
            self.small["job_interview_stages"].append(
                {
                    "id": stage_id,
                    "created_at": iso(c),
                    "updated_at": iso(c + 2 * DAY),
                    "job_id": jid,
                    "sort_order": pos,
                    "name": sname,
                    "active": active[pos],
                }
            )
            ids.append(stage_id)
            stage_id += 1
        self.job_stage_ids.append(ids)
        self.job_stage_names.append(names)
        self.job_nstages[j] = len(names)
        self.job_active_mask[j] = sum(1 << p for p, a in enumerate(active) if a)
        self.job_iv_mask[j] = sum(1 << p for p, h in enumerate(has_iv) if h)

    def _build_job_posts(self, j: int, jid: int, name: str, c: int) -> None:
        """One public post per job, plus an internal one on every third job."""
        status = self.job_status[j]
        post_id = FIRST_ID["job_posts"] + len(self.small["job_posts"])
        posts = []
        for k in range(1 if j % 3 else 2):
            active_post = status == "open" and k != 1
            pub = None if status == "draft" else iso(c + 2 * HOUR)
            self.small["job_posts"].append(
                {
                    "id": post_id,
                    "created_at": iso(c),
                    "updated_at": iso(c + 3 * DAY),
                    "title": name if k == 0 else f"{name} — Internal",
                    "internal": k == 1,
                    "active": active_post,
                    "live": active_post and k == 0,
                    "featured": j % 5 == 0,
                    "first_published_at": pub,
                    "content": f"<p>Join us as {name}!</p>",
                    "internal_content": None,
                    "language": "en" if j % 6 else "de",
                    "public_url": f"https://boards.example.com/sandbox/jobs/{post_id}",
                    "demographic_question_set_id": None,
                    "job_id": jid,
                    "job_board_id": 1,
                    "questions": _post_questions(),
                }
            )
            posts.append(post_id)
            post_id += 1
        self.job_posts_of.append(posts)


def _post_questions() -> list[Record]:
    """The application form of a post (a fresh list per post: records are never shared)."""
    return [
        {
            "id": None,
            "description": None,
            "answer_type": "short_text",
            "required": True,
            "private": False,
            "label": "First Name",
            "name": "first_name",
            "options": [],
        },
        {
            "id": 9001,
            "description": "Optional",
            "answer_type": "single_select",
            "required": False,
            "private": False,
            "label": "How did you hear about this job?",
            "name": "question_9001",
            "options": [
                {"id": 1, "label": "Online Research"},
                {"id": 2, "label": "Friend"},
            ],
        },
    ]
