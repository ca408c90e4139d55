{#-
    Interview panels matched to their scorecards: one row per scheduled interview and
    interviewer (a Greenhouse user on the panel; external attendees without a user are left
    out), with the interview's stage (through the interview plan slot it fulfils), the
    interviewer's scorecard (the panel row's scorecard_id; submitted when submitted_at is set),
    whether the interviewer is a hiring manager of the job, and whether the candidate got past
    the interview's stage (the application's current stage is later in the plan, or it was
    hired). Per account: every join is within one source_relation. A view, so that the matching
    can be unit tested.
-#}
{{ config(materialized='view', schema='greenhouse_staging') }}

with

interviews as (

    select * from {{ ref('stg_greenhouse__interviews') }}

),

interviewers as (

    select * from {{ ref('stg_greenhouse__interviewers') }}
    where user_id is not null

),

scorecards as (

    select * from {{ ref('stg_greenhouse__scorecards') }}

),

job_interviews as (

    select * from {{ ref('stg_greenhouse__job_interviews') }}

),

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

applications as (

    select * from {{ ref('stg_greenhouse__applications') }}

),

hiring_managers as (

    select * from {{ ref('stg_greenhouse__job_hiring_managers') }}

),

panel as (

    select
        interviews.source_relation,
        interviews.interview_id,
        interviews.application_id,
        applications.candidate_id,
        job_interviews.stage_id,
        interviewers.user_id as interviewer_user_id,
        interviewers.scorecard_id,
        interviews.status as interview_status,
        scorecards.overall_recommendation,
        applications.status as application_status,
        stages.stage_order,
        current_stages.stage_order as current_stage_order,
        interviews.starts_at,
        interviews.ends_at,
        scorecards.submitted_at as scorecard_submitted_at,
        -- v1 interviews carry no job: it is the application's
        coalesce(interviews.job_id, applications.job_id) as job_id
    from interviewers
    inner join interviews
        on
            interviewers.source_relation = interviews.source_relation
            and interviewers.interview_id = interviews.interview_id
    left join applications
        on
            interviews.source_relation = applications.source_relation
            and interviews.application_id = applications.application_id
    left join job_interviews
        on
            interviews.source_relation = job_interviews.source_relation
            and interviews.job_interview_id = job_interviews.job_interview_id
    left join stages
        on
            job_interviews.source_relation = stages.source_relation
            and job_interviews.stage_id = stages.stage_id
    left join stages as current_stages
        on
            applications.source_relation = current_stages.source_relation
            and applications.current_stage_id = current_stages.stage_id
    -- a draft scorecard is assigned but not submitted: no recommendation yet
    left join scorecards
        on
            interviewers.source_relation = scorecards.source_relation
            and interviewers.scorecard_id = scorecards.scorecard_id
            and scorecards.submitted_at is not null

),

final as (

    select
        panel.source_relation,
        {{ dbt.concat([
            dbt.cast('panel.interview_id', dbt.type_string()),
            "'-'",
            dbt.cast('panel.interviewer_user_id', dbt.type_string()),
        ]) }} as interview_interviewer_id,
        panel.interview_id,
        panel.application_id,
        panel.candidate_id,
        panel.job_id,
        panel.stage_id,
        panel.interviewer_user_id,
        panel.scorecard_id,
        panel.interview_status,
        panel.overall_recommendation,
        panel.application_status,
        panel.stage_order,
        cast({{ dbt.datediff(
            'panel.starts_at', 'panel.ends_at', 'minute'
        ) }} as {{ dbt.type_bigint() }}) as duration_minutes,
        cast({{ dbt.datediff(
            'panel.ends_at', 'panel.scorecard_submitted_at', 'minute'
        ) }} as {{ dbt.type_bigint() }}) as minutes_to_scorecard,
        hiring_managers.user_id is not null as is_interviewer_hiring_manager,
        (
            panel.application_status = 'hired'
            or panel.current_stage_order > panel.stage_order
        ) as has_candidate_advanced,
        panel.starts_at,
        panel.ends_at,
        panel.scorecard_submitted_at
    from panel
    left join hiring_managers
        on
            panel.source_relation = hiring_managers.source_relation
            and panel.job_id = hiring_managers.job_id
            and panel.interviewer_user_id = hiring_managers.user_id

)

select * from final
