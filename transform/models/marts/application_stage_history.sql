{#-
    Stage visits (int_stage_visits_entered) with their application, job and stage. v3: one row
    per application and stage it entered, with exit time and days in the stage. v1 has no stage
    history: one row per application with a current stage, the visit still open, its entry time
    unknown (null).
-#}

with

visits as (

    select * from {{ ref('int_stage_visits_entered') }}

),

applications as (

    select * from {{ ref('stg_greenhouse__applications') }}

),

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

final as (

    select
        visits.source_relation,
        {{ dbt.concat([
            dbt.cast('visits.application_id', dbt.type_string()),
            "'-'",
            dbt.cast('visits.stage_id', dbt.type_string()),
        ]) }} as stage_visit_id,
        visits.application_stage_id,
        visits.application_id,
        applications.candidate_id,
        stages.job_id,
        visits.stage_id,
        stages.stage_name,
        stages.stage_order,
        visits.days_in_stage,
        applications.is_prospect,
        visits.is_current,
        visits.entered_at,
        visits.exited_at
    from visits
    inner join applications
        on
            visits.source_relation = applications.source_relation
            and visits.application_id = applications.application_id
    left join stages
        on
            visits.source_relation = stages.source_relation
            and visits.stage_id = stages.stage_id

)

select * from final
