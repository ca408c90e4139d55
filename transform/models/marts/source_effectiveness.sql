{#-
    The funnel of each candidate source, per cohort month (the month the candidate applied):
    candidate applications, how many got past the first stage, reached an interview stage (a
    stage between the job's first, Application Review, and its last, Offer), got an offer and
    were hired; the conversion of each step from the one before, and the source's share of all
    its account's hires. v3 reads the stage history (stages entered); v1 has none: an application has reached
    every stage of its job ordered at or before its current stage (skipped stages count).
-#}

with

-- read with either API version (empty for v1) so the model's inputs do not depend on it
application_stages as (  -- noqa: ST03

    select * from {{ ref('stg_greenhouse__application_stages') }}

),

applications as (

    select * from {{ ref('int_applications_dated') }}

),

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

sources as (

    select * from {{ ref('stg_greenhouse__sources') }}

),

offers as (

    select * from {{ ref('stg_greenhouse__offers') }}

),

job_bounds as (

    select
        source_relation,
        job_id,
        min(stage_order) as first_order,
        max(stage_order) as last_order
    from stages
    group by 1, 2

),

{%- if greenhouse_api_version() == 'v1' %}

-- v1: every stage of the job ordered at or before the current stage
reached as (

    select
        applications.source_relation,
        applications.application_id,
        stages.stage_order
    from applications
    inner join stages as current_stage
        on
            applications.source_relation = current_stage.source_relation
            and applications.current_stage_id = current_stage.stage_id
    inner join stages
        on
            current_stage.source_relation = stages.source_relation
            and current_stage.job_id = stages.job_id
            and current_stage.stage_order >= stages.stage_order

),
{%- else %}

reached as (

    select
        application_stages.source_relation,
        application_stages.application_id,
        stages.stage_order
    from application_stages
    inner join stages
        on
            application_stages.source_relation = stages.source_relation
            and application_stages.stage_id = stages.stage_id
    where application_stages.entered_at is not null

),
{%- endif %}

progress as (

    select
        reached.source_relation,
        reached.application_id,
        max(case when reached.stage_order > job_bounds.first_order then 1 else 0 end)
            as reached_second_stage,
        max(
            case
                when
                    reached.stage_order > job_bounds.first_order
                    and reached.stage_order < job_bounds.last_order
                    then 1
                else 0
            end
        ) as reached_interview
    from reached
    inner join applications
        on
            reached.source_relation = applications.source_relation
            and reached.application_id = applications.application_id
    inner join job_bounds
        on
            applications.source_relation = job_bounds.source_relation
            and applications.job_id = job_bounds.job_id
    group by 1, 2

),

with_offer as (

    select distinct
        source_relation,
        application_id
    from offers

),

cohorts as (

    select
        applications.source_relation,
        applications.source_id,
        cast({{ dbt.date_trunc('month', 'applications.applied_at') }} as date) as cohort_month,
        coalesce(progress.reached_second_stage, 0) as reached_second_stage,
        coalesce(progress.reached_interview, 0) as reached_interview,
        case when with_offer.application_id is not null then 1 else 0 end as got_offer,
        case when applications.status = 'hired' then 1 else 0 end as hired
    from applications
    left join progress
        on
            applications.source_relation = progress.source_relation
            and applications.application_id = progress.application_id
    left join with_offer
        on
            applications.source_relation = with_offer.source_relation
            and applications.application_id = with_offer.application_id
    where not applications.is_prospect

),

aggregated as (

    select
        source_relation,
        source_id,
        cohort_month,
        count(*) as applications,
        sum(reached_second_stage) as reached_second_stage,
        sum(reached_interview) as reached_interview,
        sum(got_offer) as got_offer,
        sum(hired) as hired
    from cohorts
    group by 1, 2, 3

),

-- the hires of each account, every source and month
all_hires as (

    select
        source_relation,
        sum(hired) as hires
    from aggregated
    group by 1

),

final as (

    select
        aggregated.source_relation,
        aggregated.source_id,
        sources.source_name,
        sources.source_type,
        aggregated.cohort_month,
        cast(aggregated.applications as {{ dbt.type_bigint() }}) as applications,
        cast(aggregated.reached_second_stage as {{ dbt.type_bigint() }}) as reached_second_stage,
        cast(aggregated.reached_interview as {{ dbt.type_bigint() }}) as reached_interview,
        cast(aggregated.got_offer as {{ dbt.type_bigint() }}) as got_offer,
        cast(aggregated.hired as {{ dbt.type_bigint() }}) as hired,
        {{ ratio('aggregated.reached_second_stage', 'aggregated.applications') }}
            as second_stage_rate,
        {{ ratio('aggregated.reached_interview', 'aggregated.reached_second_stage') }}
            as interview_rate,
        {{ ratio('aggregated.got_offer', 'aggregated.reached_interview') }}
            as offer_rate,
        {{ ratio('aggregated.hired', 'aggregated.got_offer') }} as hire_rate,
        {{ ratio('aggregated.hired', 'aggregated.applications') }}
            as application_to_hire_rate,
        {{ ratio('aggregated.hired', 'all_hires.hires') }} as share_of_hires
    from aggregated
    inner join all_hires
        on aggregated.source_relation = all_hires.source_relation
    left join sources
        on
            aggregated.source_relation = sources.source_relation
            and aggregated.source_id = sources.source_id

)

select * from final
