{#-
    Stage visits. v3: one row per application and stage it entered (application_stages with
    entered_at set), with exit time and days in the stage. v1 has no stage history: one row per
    application with a current stage, the visit still open, its entry time unknown (null).
-#}

with

-- read with either API version (empty for v1) so the model's inputs do not depend on it
application_stages as (  -- noqa: ST03

    select * from {{ ref('stg_greenhouse__application_stages') }}

),

applications as (

    select * from {{ ref('stg_greenhouse__applications') }}

),

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

{%- if greenhouse_api_version() == 'v1' %}

visits as (

    select
        cast(null as {{ dbt.type_bigint() }}) as application_stage_id,
        application_id,
        current_stage_id as stage_id,
        cast(null as {{ dbt.type_bigint() }}) as days_in_stage,
        true as is_current,
        cast(null as {{ dbt.type_timestamp() }}) as entered_at,
        cast(null as {{ dbt.type_timestamp() }}) as exited_at
    from applications
    where current_stage_id is not null

),
{%- else %}

visits as (

    select
        application_stage_id,
        application_id,
        stage_id,
        days_in_stage,
        is_current,
        entered_at,
        exited_at
    from application_stages
    where entered_at is not null

),
{%- endif %}

final as (

    select
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
        on visits.application_id = applications.application_id
    left join stages
        on visits.stage_id = stages.stage_id

)

select * from final
