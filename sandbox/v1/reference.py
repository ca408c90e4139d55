"""The nested pieces of v1 payloads (user references, departments, offices, openings, cached
per renderer) and the reference entities (users, departments, offices, sources, reasons,
openings, EEOC, custom fields)."""

from __future__ import annotations

from sandbox.data import Organisation
from sandbox.store import Record
from sandbox.v1.endpoints import plain_custom_fields


class ReferenceRenderer:
    """Nested renderings shared by the v1 payloads, and the small reference entities."""

    def __init__(self, org: Organisation):
        self.org = org
        # users, departments and offices never change (advance() leaves them alone): cache the
        # nested renderings that appear in almost every payload
        self._cache: dict[tuple[str, int], dict] = {}
        self._user_refs: dict[int, dict | None] = {}  # user_id * 3 + responsible (2 = None)

    # ---- small helpers --------------------------------------------------------------------------
    def _small(self, entity: str, id_: int | None) -> Record | None:
        if id_ is None:
            return None
        return self.org.get(entity, id_)

    def user_ref(self, user_id: int | None, responsible: bool | None = None) -> dict | None:
        if user_id is None:
            return None
        key = user_id * 3 + (2 if responsible is None else int(responsible))
        if key not in self._user_refs:
            self._user_refs[key] = self._user_ref(user_id, responsible)
        return self._user_refs[key]

    def _user_ref(self, user_id: int, responsible: bool | None) -> dict | None:
        u = self._small("users", user_id)
        if u is None:
            return None
        out = {
            "id": u["id"],
            "first_name": u["first_name"],
            "last_name": u["last_name"],
            "name": u["name"],
            "employee_id": u["employee_id"],
        }
        if responsible is not None:
            out["responsible"] = responsible
        return out

    def _children(self, entity: str, parent_id: int) -> list[int]:
        return [r["id"] for r in self.org.small[entity] if r["parent_id"] == parent_id]

    def department(self, d: Record) -> dict:
        key = ("departments", d["id"])
        if key not in self._cache:
            self._cache[key] = self._department(d)
        return self._cache[key]

    def office(self, o: Record) -> dict:
        key = ("offices", o["id"])
        if key not in self._cache:
            self._cache[key] = self._office(o)
        return self._cache[key]

    def _department(self, d: Record) -> dict:
        parent = self._small("departments", d["parent_id"])
        kids = [self.org.require("departments", i) for i in self._children("departments", d["id"])]
        return {
            "id": d["id"],
            "name": d["name"],
            "parent_id": d["parent_id"],
            "parent_department_external_id": parent["external_id"] if parent else None,
            "child_ids": [k["id"] for k in kids],
            "child_department_external_ids": [k["external_id"] for k in kids],
            "external_id": d["external_id"],
        }

    def _office(self, o: Record) -> dict:
        parent = self._small("offices", o["parent_id"])
        kids = [self.org.require("offices", i) for i in self._children("offices", o["id"])]
        return {
            "id": o["id"],
            "name": o["name"],
            "location": {"name": o["location"]},
            "primary_contact_user_id": o["primary_in_house_contact_user_id"],
            "parent_id": o["parent_id"],
            "parent_office_external_id": parent["external_id"] if parent else None,
            "child_ids": [k["id"] for k in kids],
            "child_office_external_ids": [k["external_id"] for k in kids],
            "external_id": o["external_id"],
        }

    def opening(self, op: Record) -> dict:
        reason = self._small("close_reasons", op["close_reason_id"])
        return {
            "id": op["id"],
            "opening_id": op["opening_id"],
            "status": "open" if op["open"] else "closed",
            "opened_at": op["opened_at"],
            "closed_at": op["closed_at"],
            "application_id": op["application_id"],
            "close_reason": {"id": reason["id"], "name": reason["name"]} if reason else None,
            "custom_fields": plain_custom_fields(op["custom_fields"]),
            "keyed_custom_fields": op["custom_fields"],
        }

    # ---- entities -----------------------------------------------------------------------------

    def users(self, u: Record) -> dict:
        return {
            "id": u["id"],
            "name": u["name"],
            "first_name": u["first_name"],
            "last_name": u["last_name"],
            "primary_email_address": u["primary_email"],
            "updated_at": u["updated_at"],
            "created_at": u["created_at"],
            "disabled": u["deactivated"],
            "site_admin": u["site_admin"],
            "emails": u["emails"] or [],
            "employee_id": u["employee_id"],
            "linked_candidate_ids": u["linked_candidate_ids"],
            "offices": [self.office(self.org.require("offices", i)) for i in u["office_ids"]],
            "departments": [
                self.department(self.org.require("departments", i)) for i in u["department_ids"]
            ],
        }

    def departments(self, d: Record) -> dict:
        return self.department(d)

    def offices(self, o: Record) -> dict:
        return self.office(o)

    def sources(self, s: Record) -> dict:
        return {"id": s["id"], "name": s["name"], "type": s["type"]}

    def rejection_reasons(self, r: Record) -> dict:
        return {
            "id": r["id"],
            "name": r["name"],
            "type": {"id": r["type"]["id"], "name": r["type"]["name"]},
        }

    def close_reasons(self, r: Record) -> dict:
        return {"id": r["id"], "name": r["name"]}

    def openings(self, op: Record) -> dict:
        return self.opening(op) | {"job_id": op["job_id"]}

    def eeoc(self, e: Record) -> dict:
        def message(v: dict | None) -> dict | None:
            return (
                None
                if v is None or v["id"] is None
                else {"id": v["id"], "message": v["description"]}
            )

        def desc(v: dict | None) -> dict | None:
            return (
                None
                if v is None or v["id"] is None
                else {"id": v["id"], "description": v["description"]}
            )

        return {
            "application_id": e["application_id"],
            "candidate_id": e["candidate_id"],
            "race": desc(e["race"]),
            "gender": desc(e["gender"]),
            "veteran_status": message(e["veteran_status"]),
            "disability_status": desc(e["disability_status"]),
            "submitted_at": e["submitted_at"],
        }

    def custom_fields(self, cf: Record) -> dict:
        opts = [
            o for o in self.org.small["custom_field_options"] if o["custom_field_id"] == cf["id"]
        ]
        return {
            "id": cf["id"],
            "name": cf["name"],
            "active": cf["active"],
            "field_type": cf["field_type"],
            "priority": cf["sort_order"],
            "value_type": cf["value_type"],
            "private": cf["private"],
            "required": cf["required"],
            "require_approval": cf["require_approval"],
            "trigger_new_version": cf["trigger_new_version"],
            "name_key": cf["name_key"],
            "description": cf["description"],
            "expose_in_job_board_api": cf["expose_in_job_board_api"],
            "api_only": cf["api_only"],
            "offices": [],
            "departments": [],
            "template_token_string": cf["template_token_string"],
            "custom_field_options": [
                {
                    "id": o["id"],
                    "name": o["name"],
                    "priority": o["sort_order"],
                    "external_id": o["external_id"],
                }
                for o in opts
            ],
        }
