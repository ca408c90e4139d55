{#-
    Openings closed per job and month of closing, and how long the filled ones took: days from
    opened_at (the first time the opening became open) to closed_at (its latest close). A
    reopened opening therefore counts once, in the month of its latest close, measured from
    its first opening; while open again it is not filled and not counted.
-#}

with

openings as (

    select * from {{ ref('openings') }}

),

jobs as (

    select * from {{ ref('jobs') }}

),

closed as (

    select
        source_relation,
        job_id,
        days_open,
        is_filled,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as closed_month
    from openings
    where closed_at is not null

),

aggregated as (

    select
        source_relation,
        job_id,
        closed_month,
        count(*) as openings_closed,
        sum(case when is_filled then 1 else 0 end) as openings_filled,
        {{ median('case when is_filled then days_open end') }} as median_days_to_fill,
        {{ percentile_cont('case when is_filled then days_open end', 0.75) }} as p75_days_to_fill
    from closed
    group by 1, 2, 3

),

final as (

    select
        aggregated.source_relation,
        aggregated.job_id,
        jobs.department_id,
        jobs.job_name,
        jobs.department_name,
        aggregated.closed_month,
        cast(aggregated.openings_closed as {{ dbt.type_bigint() }}) as openings_closed,
        cast(aggregated.openings_filled as {{ dbt.type_bigint() }}) as openings_filled,
        {{ rounded('aggregated.median_days_to_fill') }} as median_days_to_fill,
        {{ rounded('aggregated.p75_days_to_fill') }} as p75_days_to_fill
    from aggregated
    left join jobs
        on
            aggregated.source_relation = jobs.source_relation
            and aggregated.job_id = jobs.job_id

)

select * from final
