{#-
    The funnel: one row per job interview stage (every job, every stage, active or deleted),
    counting candidate applications only (prospects are left out).

    applications_current / _rejected / _hired: applications with that status whose current
    stage is this stage. applications_reached: applications that ever entered this stage -
    v3 from the stage history (application_stages.entered_at set); v1 has no history, so an
    application counts as having reached every stage of its job whose order is at most the
    order of its current stage. reach_rate_from_previous = reached / reached at the job's
    previous stage by order (null for the first stage or a zero denominator).
-#}

with

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

applications as (

    select * from {{ ref('stg_greenhouse__applications') }}
    where not is_prospect

),

-- read with either API version (empty for v1) so the model's inputs do not depend on it
application_stages as (  -- noqa: ST03

    select * from {{ ref('stg_greenhouse__application_stages') }}

),

jobs as (

    select * from {{ ref('jobs') }}

),

current_counts as (

    select
        source_relation,
        current_stage_id as stage_id,
        sum(case when status = 'in_process' then 1 else 0 end) as applications_current,
        sum(case when status = 'rejected' then 1 else 0 end) as applications_rejected,
        sum(case when status = 'hired' then 1 else 0 end) as applications_hired
    from applications
    where current_stage_id is not null
    group by 1, 2

),

{%- if greenhouse_api_version() == 'v1' %}

current_orders as (

    select
        current_stages.source_relation,
        current_stages.job_id,
        current_stages.stage_order as current_stage_order
    from applications
    inner join stages as current_stages
        on
            applications.source_relation = current_stages.source_relation
            and applications.current_stage_id = current_stages.stage_id

),

-- bounded by the stages of one job per application: linear in applications
reached_counts as (

    select
        stages.source_relation,
        stages.stage_id,
        count(*) as applications_reached
    from stages
    inner join current_orders
        on
            stages.source_relation = current_orders.source_relation
            and stages.job_id = current_orders.job_id
            and stages.stage_order <= current_orders.current_stage_order
    group by 1, 2

),
{%- else %}

reached_counts as (

    select
        application_stages.source_relation,
        application_stages.stage_id,
        count(distinct application_stages.application_id) as applications_reached
    from application_stages
    inner join applications
        on
            application_stages.source_relation = applications.source_relation
            and application_stages.application_id = applications.application_id
    where application_stages.entered_at is not null
    group by 1, 2

),
{%- endif %}

stage_counts as (

    select
        stages.source_relation,
        stages.stage_id,
        stages.job_id,
        stages.stage_name,
        stages.stage_order,
        stages.is_active,
        coalesce(current_counts.applications_current, 0) as applications_current,
        coalesce(current_counts.applications_rejected, 0) as applications_rejected,
        coalesce(current_counts.applications_hired, 0) as applications_hired,
        coalesce(reached_counts.applications_reached, 0) as applications_reached
    from stages
    left join current_counts
        on
            stages.source_relation = current_counts.source_relation
            and stages.stage_id = current_counts.stage_id
    left join reached_counts
        on
            stages.source_relation = reached_counts.source_relation
            and stages.stage_id = reached_counts.stage_id

),

with_previous as (

    select
        *,
        lag(applications_reached) over (
            partition by source_relation, job_id
            order by stage_order, stage_id
        ) as previous_reached
    from stage_counts

),

final as (

    select
        with_previous.source_relation,
        with_previous.job_id,
        jobs.department_id,
        with_previous.stage_id,
        jobs.job_name,
        jobs.job_status,
        jobs.department_name,
        with_previous.stage_name,
        cast(with_previous.stage_order as {{ dbt.type_bigint() }}) as stage_order,
        cast(with_previous.applications_current as {{ dbt.type_bigint() }}) as applications_current,
        cast(with_previous.applications_rejected as {{ dbt.type_bigint() }})
            as applications_rejected,
        cast(with_previous.applications_hired as {{ dbt.type_bigint() }}) as applications_hired,
        cast(with_previous.applications_reached as {{ dbt.type_bigint() }})
            as applications_reached,
        {{ ratio('with_previous.applications_reached', 'with_previous.previous_reached') }}
            as reach_rate_from_previous,
        with_previous.is_active as is_stage_active
    from with_previous
    left join jobs
        on
            with_previous.source_relation = jobs.source_relation
            and with_previous.job_id = jobs.job_id

)

select * from final
