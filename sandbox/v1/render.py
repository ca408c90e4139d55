"""The v1 renderer: applications, candidates, jobs, stages, offers, job posts, interviews and
scorecards, on top of the nested pieces of `sandbox.v1.reference`."""

from __future__ import annotations

from sandbox.data import FIRST_ID
from sandbox.store import Record
from sandbox.v1.endpoints import APP_STATUS_V1, OFFER_STATUS_V1, RATING_V1, plain_custom_fields
from sandbox.v1.reference import ReferenceRenderer


class V1Renderer(ReferenceRenderer):
    """Builds v1 payloads for one organisation (lookups of small entities are cached per call)."""

    _slots_by_stage: dict[int, list[Record]] | None = None

    def applications(self, a: Record) -> dict:
        org = self.org
        job_ids = [a["job_id"]] if a["job_id"] is not None else list(a["prospective_job_ids"])
        jobs = [org.get("jobs", j) for j in job_ids]
        source = self._small("sources", a["source_id"])
        reason = self._small("rejection_reasons", org.rejection_reason_id(a))
        credited = a["referrer_id"] or a["recruiter_id"]
        prospect_office = prospect_dept = None
        if a["prospect"]:
            offices = org.small["offices"]
            depts = org.small["departments"]
            prospect_office = self.office(offices[a["id"] % len(offices)]) if a["id"] % 3 else None
            prospect_dept = self.department(depts[a["id"] % len(depts)]) if a["id"] % 4 else None
        return {
            "id": a["id"],
            "candidate_id": a["candidate_id"],
            "prospect": a["prospect"],
            "applied_at": a["created_at"],
            "rejected_at": a["rejected_at"],
            "last_activity_at": a["last_activity_at"],
            "location": {"address": a["location_address"]} if a["location_address"] else None,
            "source": {"id": source["id"], "public_name": source["name"]} if source else None,
            "credited_to": self.user_ref(credited),
            "recruiter": self.user_ref(a["recruiter_id"]),
            "coordinator": self.user_ref(a["coordinator_id"]),
            "rejection_reason": (
                {
                    "id": reason["id"],
                    "name": reason["name"],
                    "type": {"id": reason["type"]["id"], "name": reason["type"]["name"]},
                }
                if reason
                else None
            ),
            "rejection_details": (
                {"custom_fields": {}, "keyed_custom_fields": {}} if reason else None
            ),
            "jobs": [{"id": j["id"], "name": j["name"]} for j in jobs if j],
            "job_post_id": a["job_post_id"],
            "status": APP_STATUS_V1[a["status"]],
            "current_stage": (
                {"id": a["stage_id"], "name": a["stage_name"]} if a["stage_id"] else None
            ),
            "answers": a["answers"] or [],
            "prospective_office": prospect_office,
            "prospective_department": prospect_dept,
            "prospect_detail": {
                "prospect_pool": {"id": 224, "name": "Cold Outreach: Sourced"}
                if a["prospect"]
                else None,
                "prospect_stage": {"id": 817, "name": "Contacted"} if a["prospect"] else None,
                "prospect_owner": (
                    {
                        "id": a["recruiter_id"],
                        "name": self.org.require("users", a["recruiter_id"])["name"],
                    }
                    if a["prospect"] and a["recruiter_id"]
                    else None
                ),
            },
            "custom_fields": plain_custom_fields(a["custom_fields"]),
            "keyed_custom_fields": a["custom_fields"] or {},
            "attachments": [],
        }

    def candidates(self, c: Record) -> dict:
        org = self.org
        app_ids = org.applications_of_candidate(c["id"])
        apps = org.get_many("applications", app_ids)
        first_app = apps[0] if apps else None
        return {
            "id": c["id"],
            "first_name": c["first_name"],
            "last_name": c["last_name"],
            "company": c["company"],
            "title": c["title"],
            "created_at": c["created_at"],
            "updated_at": c["updated_at"],
            "last_activity": c["last_activity_at"],
            "is_private": bool(c["private"]),
            "photo_url": None,
            "attachments": [],
            "application_ids": app_ids,
            "phone_numbers": c["phone_numbers"],
            "addresses": c["addresses"],
            "email_addresses": c["email_addresses"],
            "website_addresses": c["website_addresses"],
            "social_media_addresses": c["social_media_addresses"],
            "recruiter": self.user_ref(first_app["recruiter_id"]) if first_app else None,
            "coordinator": self.user_ref(first_app["coordinator_id"]) if first_app else None,
            "can_email": c["can_email"],
            "tags": c["tags"],
            "applications": [self.applications(a) for a in apps],
            "educations": [],
            "employments": (
                [
                    {
                        "id": c["id"] * 10 + 1,
                        "company_name": c["company"],
                        "title": c["title"],
                        "start_date": "2019-01-01T00:00:00.000Z",
                        "end_date": None,
                    }
                ]
                if c["company"]
                else []
            ),
            "linked_user_ids": c["linked_user_ids"],
            "custom_fields": plain_custom_fields(c["custom_fields"]),
            "keyed_custom_fields": c["custom_fields"] or {},
        }

    def jobs(self, j: Record) -> dict:
        org = self.org
        dept = self._small("departments", j["department_id"])
        offices = [org.require("offices", i) for i in (j["office_ids"] or [])]
        openings = [self.opening(op) for op in org.openings_of_job(j["id"])]
        users = org.small["users"]
        n = len(users)
        k = j["id"]
        manager = org.hiring_manager_of_job[k - FIRST_ID["jobs"]]  # v3 job_hiring_managers
        return {
            "id": j["id"],
            "name": j["name"],
            "requisition_id": j["requisition_id"],
            "notes": j["notes"],
            "confidential": j["confidential"],
            "status": j["status"],
            "created_at": j["created_at"],
            "opened_at": j["opened_at"],
            "closed_at": j["closed_at"],
            "updated_at": j["updated_at"],
            "is_template": j["is_template"],
            "copied_from_id": j["copied_from_id"],
            "departments": [self.department(dept)] if dept else [],
            "offices": [self.office(o) for o in offices],
            "custom_fields": plain_custom_fields(j["custom_fields"]),
            "keyed_custom_fields": j["custom_fields"] or {},
            "hiring_team": {
                "hiring_managers": [self.user_ref(manager)],
                "recruiters": [self.user_ref(users[(k + 1) % n]["id"], True)],
                "coordinators": [self.user_ref(users[(k + 2) % n]["id"], True)],
                "sourcers": [],
            },
            "openings": openings,
        }

    def _interview_slots(self) -> dict[int, list[Record]]:
        """Interview slots (v3 job_interviews) by stage id: v1 nests them in the stage."""
        if self._slots_by_stage is None:
            self._slots_by_stage = {}
            for slot in self.org.small["job_interviews"]:
                self._slots_by_stage.setdefault(slot["job_interview_stage_id"], []).append(slot)
        return self._slots_by_stage

    def job_stages(self, s: Record) -> dict:
        users = self.org.small["users"]
        interviews = []
        for slot in self._interview_slots().get(s["id"], []):
            interviews.append(
                {
                    "id": slot["id"],
                    "name": slot["name"],
                    "schedulable": True,
                    "estimated_minutes": slot["duration"],
                    "default_interviewer_users": [self.user_ref(users[s["id"] % len(users)]["id"])],
                    "interview_kit": {
                        "id": s["id"] * 10 + 2,
                        "content": f"<h5>Purpose</h5><span>{s['name']}</span>",
                        "questions": [
                            {"id": s["id"] * 10 + 3, "question": "Is this person a good fit?"}
                        ],
                    },
                }
            )
        return {
            "id": s["id"],
            "name": s["name"],
            "created_at": s["created_at"],
            "updated_at": s["updated_at"],
            "job_id": s["job_id"],
            "priority": s["sort_order"],
            "active": s["active"],
            "interviews": interviews,
        }

    def offers(self, o: Record) -> dict:
        opening = self._small("openings", o["opening_id"])
        return {
            "id": o["id"],
            "version": o["version"],
            "application_id": o["application_id"],
            "job_id": o["job_id"],
            "candidate_id": o["candidate_id"],
            "opening": self.opening(opening) if opening else None,
            "created_at": o["created_at"],
            "updated_at": o["updated_at"],
            "sent_at": o["sent_on"],
            "resolved_at": o["resolved_at"],
            "starts_at": o["starts_on"],
            "status": OFFER_STATUS_V1[o["status"]],
            "custom_fields": plain_custom_fields(o["custom_fields"]),
            "keyed_custom_fields": o["custom_fields"] or {},
        }

    def job_posts(self, p: Record) -> dict:
        job = self.org.get("jobs", p["job_id"])
        office = self._small("offices", (job["office_ids"] or [None])[0]) if job else None
        return {
            "id": p["id"],
            "title": p["title"],
            "location": {"name": office["location"] if office and office["location"] else "Remote"},
            "internal": p["internal"],
            "external": not p["internal"],
            "active": p["active"],
            "live": p["live"],
            "first_published_at": p["first_published_at"],
            "job_id": p["job_id"],
            "content": p["content"],
            "internal_content": p["internal_content"],
            "updated_at": p["updated_at"],
            "created_at": p["created_at"],
            "demographic_question_set_id": p["demographic_question_set_id"],
            "questions": [
                {k: v for k, v in q.items() if k != "options"}
                | {"values": [{"value": o["id"], "label": o["label"]} for o in q["options"]]}
                for q in p["questions"]
            ],
        }

    def scheduled_interviews(self, i: Record) -> dict:
        org = self.org
        slot = org.require("job_interviews", i["job_interview_id"])
        stage = self._small("job_interview_stages", slot["job_interview_stage_id"])
        # v1 nests the panel (v3 /interviewers), each member with their scorecard id
        panel = [
            row
            for row in org.child_rows("interviewers", i["application_id"])
            if row["interview_id"] == i["id"]
        ]
        interviewers = []
        for row in panel:
            user = org.require("users", row["user_id"])
            interviewers.append(
                {
                    "id": user["id"],
                    "employee_id": user["employee_id"],
                    "name": user["name"],
                    "email": user["primary_email"],
                    "response_status": row["response_status"],
                    "scorecard_id": row["scorecard_id"],
                }
            )
        return {
            "id": i["id"],
            "application_id": i["application_id"],
            "external_event_id": i["external_event_id"],
            "start": {"date_time": i["starts_at"]},
            "end": {"date_time": i["ends_at"]},
            "location": i["location"],
            "video_conferencing_url": i["video_conferencing_url"],
            # v1 knows scheduled, awaiting_feedback and complete; a cancelled interview (v3
            # skipped) keeps v3's word
            "status": i["status"]
            if i["status"] in ("complete", "awaiting_feedback", "skipped")
            else "scheduled",
            "created_at": i["created_at"],
            "updated_at": i["updated_at"],
            "interview": {"id": i["job_interview_id"], "name": stage["name"] if stage else None},
            "organizer": self.user_ref(i["organizer_id"]),
            "interviewers": interviewers,
        }

    def scorecards(self, s: Record) -> dict:
        org = self.org
        stage = self._small("job_interview_stages", s["interview_kit_id"] // 10)
        app = org.get("applications", s["application_id"])
        rating = RATING_V1.get(s["candidate_rating"], s["candidate_rating"])
        buckets = ("definitely_not", "no", "mixed", "yes", "strong_yes")
        return {
            "id": s["id"],
            "updated_at": s["updated_at"],
            "created_at": s["created_at"],
            "interview": stage["name"] if stage else None,
            "interview_step": {"id": stage["id"], "name": stage["name"]} if stage else None,
            "candidate_id": app["candidate_id"] if app else None,
            "application_id": s["application_id"],
            "interviewed_at": s["interviewed_at"],
            "submitted_by": self.user_ref(s["submitter_id"]),
            "interviewer": self.user_ref(s["interviewer_id"]),
            "submitted_at": s["submitted_at"],
            "overall_recommendation": rating,
            "attributes": [
                {"name": "Communication", "type": "Skills", "note": None, "rating": "yes"}
            ],
            "ratings": {b: (["Communication"] if b == rating else []) for b in buckets},
            "questions": [{"id": None, "question": "Key Take-Aways", "answer": s["notes"] or ""}],
        }
