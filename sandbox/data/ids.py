"""Id ranges of the entities and the salts of their per-record random generators."""

from __future__ import annotations

# first id of each entity (ids are dense from there; entities never share an id range)
FIRST_ID = {
    "sources": 1_001,
    "rejection_reasons": 2_001,
    "close_reasons": 3_001,
    "departments": 4_001,
    "offices": 5_001,
    "custom_fields": 6_001,
    "custom_field_options": 7_001,
    "users": 100_001,
    "jobs": 200_001,
    "job_interview_stages": 300_001,
    "job_posts": 400_001,
    "openings": 500_001,
    "candidates": 10_000_001,
    "applications": 20_000_001,
    "application_stages": 30_000_001,
    "offers": 60_000_001,
    "interviews": 70_000_001,
    "scorecards": 80_000_001,
    "eeoc": 90_000_001,
    "demographic_question_sets": 8_001,
    "demographic_questions": 8_101,
    "demographic_answer_options": 8_201,
    "demographic_answers": 95_000_001,
    # added later: appended so the salts of the entities above stay as they were
    "interviewers": 75_000_001,
    "job_hiring_managers": 600_001,
    "job_interviews": 350_001,
    # added after the others so that their salts (their position here) stay as they were
    "rejection_details": 97_000_001,
}
ENTITIES = tuple(FIRST_ID)

# per-record RNG salts
SALT = {name: i + 1 for i, name in enumerate(ENTITIES)}
SALT_PLAN = 50
