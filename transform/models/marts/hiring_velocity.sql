{#-
    How fast each job hires, per month: the hires of the month (by hired_at) with the median and
    75th percentile of their days from applied to hired, and the offers resolved in the month
    (current offer accepted or rejected, by resolution time) with the median days from applied
    to that resolution.
-#}

with

applications as (

    select * from {{ ref('int_applications_dated') }}

),

jobs as (

    select * from {{ ref('jobs') }}

),

hires as (

    select
        source_relation,
        job_id,
        cast({{ dbt.date_trunc('month', 'hired_at') }} as date) as hire_month,
        cast({{ dbt.datediff(
            'applied_at', 'hired_at', 'day'
        ) }} as {{ dbt.type_bigint() }}) as days_to_hire
    from applications
    where hired_at is not null and job_id is not null

),

resolved_offers as (

    select
        source_relation,
        job_id,
        cast({{ dbt.date_trunc('month', 'offer_resolved_at') }} as date) as hire_month,
        cast({{ dbt.datediff(
            'applied_at', 'offer_resolved_at', 'day'
        ) }} as {{ dbt.type_bigint() }}) as days_to_offer
    from applications
    where offer_resolved_at is not null and job_id is not null

),

hires_by_month as (

    select
        source_relation,
        job_id,
        hire_month,
        count(*) as hires,
        {{ median('days_to_hire') }} as median_days_to_hire,
        {{ percentile_cont('days_to_hire', 0.75) }} as p75_days_to_hire
    from hires
    group by 1, 2, 3

),

offers_by_month as (

    select
        source_relation,
        job_id,
        hire_month,
        count(*) as offers_resolved,
        {{ median('days_to_offer') }} as median_days_to_offer
    from resolved_offers
    group by 1, 2, 3

),

months as (

    select
        source_relation,
        job_id,
        hire_month
    from hires_by_month
    union distinct
    select
        source_relation,
        job_id,
        hire_month
    from offers_by_month

),

final as (

    select
        months.source_relation,
        months.job_id,
        jobs.department_id,
        jobs.job_name,
        jobs.department_name,
        months.hire_month,
        cast(coalesce(hires_by_month.hires, 0) as {{ dbt.type_bigint() }}) as hires,
        cast(coalesce(offers_by_month.offers_resolved, 0) as {{ dbt.type_bigint() }})
            as offers_resolved,
        {{ rounded('hires_by_month.median_days_to_hire') }} as median_days_to_hire,
        {{ rounded('hires_by_month.p75_days_to_hire') }} as p75_days_to_hire,
        {{ rounded('offers_by_month.median_days_to_offer') }} as median_days_to_offer
    from months
    left join hires_by_month
        on
            months.source_relation = hires_by_month.source_relation
            and months.job_id = hires_by_month.job_id
            and months.hire_month = hires_by_month.hire_month
    left join offers_by_month
        on
            months.source_relation = offers_by_month.source_relation
            and months.job_id = offers_by_month.job_id
            and months.hire_month = offers_by_month.hire_month
    left join jobs
        on
            months.source_relation = jobs.source_relation
            and months.job_id = jobs.job_id

)

select * from final
