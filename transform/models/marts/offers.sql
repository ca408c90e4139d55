{#-
    The current offer of each application: its highest version (every edit of an offer creates
    a new version and deprecates the older ones). Includes current offers that are deprecated;
    offer_acceptance leaves those out.
-#}

with

offers as (

    select * from {{ ref('stg_greenhouse__offers') }}

),

jobs as (

    select * from {{ ref('jobs') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by source_relation, application_id
            order by offer_version desc, offer_id desc
        ) as version_rank
    from offers

),

current_offers as (

    select
        *,
        cast(created_at as date) as created_date,
        cast(resolved_at as date) as resolved_date
    from ranked
    where version_rank = 1

),

final as (

    select
        current_offers.source_relation,
        current_offers.offer_id,
        current_offers.application_id,
        current_offers.candidate_id,
        current_offers.job_id,
        jobs.department_id,
        current_offers.opening_id,
        current_offers.status,
        current_offers.offer_version,
        -- days from the sent date (else the creation date) to the resolution date
        cast({{ dbt.datediff(
            'coalesce(current_offers.sent_date, current_offers.created_date)',
            'current_offers.resolved_date',
            'day'
        ) }} as {{ dbt.type_bigint() }}) as days_to_resolve,
        current_offers.sent_date is not null as is_sent,
        -- offers are reported in the month they were sent, else the month they were created
        cast({{ dbt.date_trunc(
            'month', 'coalesce(current_offers.sent_date, current_offers.created_date)'
        ) }} as date) as cohort_month,
        current_offers.sent_date,
        current_offers.starts_date,
        current_offers.created_at,
        current_offers.resolved_at
    from current_offers
    left join jobs
        on
            current_offers.source_relation = jobs.source_relation
            and current_offers.job_id = jobs.job_id

)

select * from final
