{#-
    The stages each application entered, one row per visit, from whichever history the API
    version gives. v3: the stage history (application_stages rows with entered_at set), with
    exit time, days in stage and whether it is the current one. v1 has no stage history: one
    visit per application with a current stage, still open, its entry time unknown (null).
    A view, so that the per-version rule can be unit tested.
-#}
{{ config(materialized='view', schema='greenhouse_staging') }}

with

-- read with either API version (empty for v1) so the model's inputs do not depend on it
application_stages as (  -- noqa: ST03

    select * from {{ ref('stg_greenhouse__application_stages') }}

),

applications as (  -- noqa: ST03

    select * from {{ ref('stg_greenhouse__applications') }}

),

{%- if greenhouse_api_version() == 'v1' %}

final as (

    select
        source_relation,
        cast(null as {{ dbt.type_bigint() }}) as application_stage_id,
        application_id,
        current_stage_id as stage_id,
        cast(null as {{ dbt.type_bigint() }}) as days_in_stage,
        true as is_current,
        cast(null as {{ dbt.type_timestamp() }}) as entered_at,
        cast(null as {{ dbt.type_timestamp() }}) as exited_at
    from applications
    where current_stage_id is not null

)
{%- else %}

final as (

    select
        source_relation,
        application_stage_id,
        application_id,
        stage_id,
        days_in_stage,
        is_current,
        entered_at,
        exited_at
    from application_stages
    where entered_at is not null

)
{%- endif %}

select * from final
