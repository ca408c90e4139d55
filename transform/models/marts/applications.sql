{#-
    The application fact: one row per application (prospects included, flagged), with its job,
    department, office, source, current stage and the days it has spent in the pipeline
    (applied date to the rejection date, else to the date of its last activity).
-#}

with

applications as (

    select * from {{ ref('stg_greenhouse__applications') }}

),

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

jobs as (

    select * from {{ ref('jobs') }}

),

sources as (

    select * from {{ ref('stg_greenhouse__sources') }}

),

final as (

    select
        applications.source_relation,
        applications.application_id,
        applications.candidate_id,
        applications.job_id,
        jobs.department_id,
        jobs.office_id,
        applications.source_id,
        applications.current_stage_id,
        jobs.job_name,
        jobs.department_name,
        jobs.office_name,
        sources.source_name,
        stages.stage_name as current_stage_name,
        applications.status,
        stages.stage_order as current_stage_order,
        cast({{ dbt.datediff(
            'cast(applications.applied_at as date)',
            'cast(coalesce(applications.rejected_at, applications.last_activity_at) as date)',
            'day'
        ) }} as {{ dbt.type_bigint() }}) as days_in_pipeline,
        applications.is_prospect,
        applications.applied_at,
        applications.rejected_at,
        applications.last_activity_at
    from applications
    left join jobs
        on
            applications.source_relation = jobs.source_relation
            and applications.job_id = jobs.job_id
    left join sources
        on
            applications.source_relation = sources.source_relation
            and applications.source_id = sources.source_id
    left join stages
        on
            applications.source_relation = stages.source_relation
            and applications.current_stage_id = stages.stage_id

)

select * from final
