{#-
    One row per application and stage it entered: when it entered and left the stage, the days
    it spent there and why it left (advanced, rejected, hired, still there). v3 reads the stage
    history; v1 has none: one row per application with a current stage, entry time and days
    unknown (null), the exit known only for a rejected or hired application.
-#}

with

visits as (

    select * from {{ ref('int_stage_visits_entered') }}

),

applications as (

    select * from {{ ref('int_applications_dated') }}

),

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

-- a visit that was never exited ends with its application's rejection or hire, when it is
-- the current stage; otherwise the application is still there
classified as (

    select
        visits.source_relation,
        visits.application_id,
        visits.stage_id,
        applications.candidate_id,
        visits.entered_at,
        case
            when visits.exited_at is not null then 'advanced'
            when visits.stage_id != applications.current_stage_id then 'still_there'
            when applications.status = 'rejected' then 'rejected'
            when applications.status = 'hired' then 'hired'
            else 'still_there'
        end as exit_reason,
        case
            when visits.exited_at is not null then visits.exited_at
            when visits.stage_id != applications.current_stage_id then null
            when applications.status = 'rejected' then applications.rejected_at
            when applications.status = 'hired' then applications.hired_at
        end as exited_at
    from visits
    inner join applications
        on
            visits.source_relation = applications.source_relation
            and visits.application_id = applications.application_id

),

final as (

    select
        classified.source_relation,
        {{ dbt.concat([
            dbt.cast('classified.application_id', dbt.type_string()),
            "'-'",
            dbt.cast('classified.stage_id', dbt.type_string()),
        ]) }} as stage_visit_id,
        classified.application_id,
        classified.candidate_id,
        stages.job_id,
        classified.stage_id,
        stages.stage_name,
        classified.exit_reason,
        stages.stage_order,
        cast({{ dbt.datediff(
            'classified.entered_at', 'classified.exited_at', 'day'
        ) }} as {{ dbt.type_bigint() }}) as days_in_stage,
        classified.entered_at,
        classified.exited_at
    from classified
    left join stages
        on
            classified.source_relation = stages.source_relation
            and classified.stage_id = stages.stage_id

)

select * from final
