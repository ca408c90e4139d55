{#-
    Pass-through per job interview stage, in the two conventions Greenhouse reports, plus a
    cohort of completed applications only. Candidate applications only (prospects left out).

    Implied (skipped stages count as passed): an application reached every stage of its job
    ordered at or before the furthest stage it entered (v1: its current stage), and passed a
    stage when it reached a later one or was hired. implied_pass_through_rate = passed / reached.

    Actual (from the stage history, v3 only; null in v1, which has none): of the applications
    that entered the stage, those that exited it - the history gives an exit time, or the
    application was rejected or hired while it was its current stage - and of those, the ones
    that moved on: entered a later stage of the job, or were hired.
    actual_pass_through_rate = moved on / exited.

    Completed: the implied counts over applications that are finished (hired or rejected), so
    pipelines still open do not lower the late stages' rates (Ashby's cohort funnel).
-#}

with

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

applications as (

    select * from {{ ref('stg_greenhouse__applications') }}
    where not is_prospect

),

visits as (

    select * from {{ ref('int_stage_visits_entered') }}

),

jobs as (

    select * from {{ ref('jobs') }}

),

visited as (

    select
        visits.source_relation,
        visits.application_id,
        visits.stage_id,
        stages.job_id,
        applications.current_stage_id,
        applications.status,
        stages.stage_order,
        visits.exited_at
    from visits
    inner join applications
        on
            visits.source_relation = applications.source_relation
            and visits.application_id = applications.application_id
    inner join stages
        on
            visits.source_relation = stages.source_relation
            and visits.stage_id = stages.stage_id

),

furthest as (

    select
        source_relation,
        application_id,
        job_id,
        max(status) as status,
        max(stage_order) as furthest_order
    from visited
    group by 1, 2, 3

),

implied as (

    select
        stages.source_relation,
        stages.stage_id,
        count(*) as reached,
        sum(
            case
                when furthest.furthest_order > stages.stage_order or furthest.status = 'hired'
                    then 1
                else 0
            end
        ) as passed,
        sum(
            case when furthest.status in ('hired', 'rejected') then 1 else 0 end
        ) as completed_reached,
        sum(
            case
                when
                    furthest.status = 'hired'
                    or (
                        furthest.status = 'rejected'
                        and furthest.furthest_order > stages.stage_order
                    )
                    then 1
                else 0
            end
        ) as completed_passed
    from stages
    inner join furthest
        on
            stages.source_relation = furthest.source_relation
            and stages.job_id = furthest.job_id
            and stages.stage_order <= furthest.furthest_order
    group by 1, 2

),

{%- if greenhouse_api_version() == 'v1' %}

-- v1 has no stage history: nothing to say about exits
actual as (

    select
        source_relation,
        stage_id,
        cast(null as {{ dbt.type_bigint() }}) as entered,
        cast(null as {{ dbt.type_bigint() }}) as exited,
        cast(null as {{ dbt.type_bigint() }}) as moved_on
    from stages

),
{%- else %}

exits as (

    select
        visited.source_relation,
        visited.stage_id,
        case
            when
                visited.exited_at is not null
                or (
                    visited.status in ('hired', 'rejected')
                    and visited.current_stage_id = visited.stage_id
                )
                then 1
            else 0
        end as has_exited,
        case
            when furthest.furthest_order > visited.stage_order or visited.status = 'hired'
                then 1
            else 0
        end as has_moved_on
    from visited
    inner join furthest
        on
            visited.source_relation = furthest.source_relation
            and visited.application_id = furthest.application_id

),

actual as (

    select
        source_relation,
        stage_id,
        count(*) as entered,
        sum(has_exited) as exited,
        sum(has_exited * has_moved_on) as moved_on
    from exits
    group by 1, 2

),
{%- endif %}

final as (

    select
        stages.source_relation,
        stages.job_id,
        stages.stage_id,
        jobs.job_name,
        stages.stage_name,
        cast(stages.stage_order as {{ dbt.type_bigint() }}) as stage_order,
        cast(coalesce(implied.reached, 0) as {{ dbt.type_bigint() }}) as applications_reached,
        cast(coalesce(implied.passed, 0) as {{ dbt.type_bigint() }}) as applications_passed,
        {%- if greenhouse_api_version() == 'v1' %}
        cast(null as {{ dbt.type_bigint() }}) as applications_entered,
        cast(null as {{ dbt.type_bigint() }}) as applications_exited,
        cast(null as {{ dbt.type_bigint() }}) as applications_moved_on,
        {%- else %}
        cast(coalesce(actual.entered, 0) as {{ dbt.type_bigint() }}) as applications_entered,
        cast(coalesce(actual.exited, 0) as {{ dbt.type_bigint() }}) as applications_exited,
        cast(coalesce(actual.moved_on, 0) as {{ dbt.type_bigint() }}) as applications_moved_on,
        {%- endif %}
        cast(coalesce(implied.completed_reached, 0) as {{ dbt.type_bigint() }})
            as completed_reached,
        cast(coalesce(implied.completed_passed, 0) as {{ dbt.type_bigint() }})
            as completed_passed,
        {{ ratio('implied.passed', 'implied.reached') }} as implied_pass_through_rate,
        {{ ratio('actual.moved_on', 'actual.exited') }} as actual_pass_through_rate,
        {{ ratio('implied.completed_passed', 'implied.completed_reached') }}
            as completed_pass_through_rate
    from stages
    left join implied
        on
            stages.source_relation = implied.source_relation
            and stages.stage_id = implied.stage_id
    left join actual
        on
            stages.source_relation = actual.source_relation
            and stages.stage_id = actual.stage_id
    left join jobs
        on
            stages.source_relation = jobs.source_relation
            and stages.job_id = jobs.job_id

)

select * from final
