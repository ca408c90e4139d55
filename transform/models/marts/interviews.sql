{#-
    One row per account (source_relation), scheduled interview and interviewer
    (int_interviewers_matched), with the names of the job, stage and interviewer, the
    interview's duration and the hours from its end to the interviewer's scorecard (whole
    minutes / 60, rounded to 4 decimals).
-#}

with

panel as (

    select * from {{ ref('int_interviewers_matched') }}

),

jobs as (

    select * from {{ ref('jobs') }}

),

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

users as (

    select * from {{ ref('stg_greenhouse__users') }}

),

final as (

    select
        panel.source_relation,
        panel.interview_interviewer_id,
        panel.interview_id,
        panel.application_id,
        panel.candidate_id,
        panel.job_id,
        panel.stage_id,
        panel.interviewer_user_id,
        panel.scorecard_id,
        jobs.job_name,
        stages.stage_name,
        users.user_name as interviewer_name,
        panel.interview_status,
        panel.overall_recommendation,
        panel.application_status,
        panel.stage_order,
        panel.duration_minutes,
        {{ ratio('panel.minutes_to_scorecard', 60) }} as hours_to_scorecard,
        panel.is_interviewer_hiring_manager,
        panel.has_candidate_advanced,
        panel.starts_at,
        panel.ends_at,
        panel.scorecard_submitted_at
    from panel
    left join jobs
        on
            panel.source_relation = jobs.source_relation
            and panel.job_id = jobs.job_id
    left join stages
        on
            panel.source_relation = stages.source_relation
            and panel.stage_id = stages.stage_id
    left join users
        on
            panel.source_relation = users.source_relation
            and panel.interviewer_user_id = users.user_id

)

select * from final
