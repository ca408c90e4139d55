{#-
    Offer outcomes per job and cohort month (the month an offer was sent, else created), over
    each application's current offer (highest version); applications whose current offer is
    deprecated are left out. acceptance_rate = accepted / (accepted + rejected), null when none
    is resolved; avg_days_to_resolve = mean whole days from the sent (else created) date to the
    resolution date over accepted and rejected offers.
-#}

with

offers as (

    select * from {{ ref('offers') }}
    where status != 'deprecated'

),

jobs as (

    select * from {{ ref('jobs') }}

),

aggregated as (

    select
        source_relation,
        job_id,
        cohort_month,
        count(*) as offers_total,
        sum(case when is_sent then 1 else 0 end) as offers_sent,
        sum(case when status = 'accepted' then 1 else 0 end) as offers_accepted,
        sum(case when status = 'rejected' then 1 else 0 end) as offers_rejected,
        sum(case when status = 'created' then 1 else 0 end) as offers_pending,
        sum(
            case when status in ('accepted', 'rejected') then days_to_resolve end
        ) as resolve_days_total,
        count(
            case when status in ('accepted', 'rejected') then days_to_resolve end
        ) as resolve_days_count
    from offers
    group by 1, 2, 3

),

final as (

    select
        aggregated.source_relation,
        aggregated.job_id,
        jobs.department_id,
        jobs.job_name,
        jobs.department_name,
        aggregated.cohort_month,
        cast(aggregated.offers_total as {{ dbt.type_bigint() }}) as offers_total,
        cast(aggregated.offers_sent as {{ dbt.type_bigint() }}) as offers_sent,
        cast(aggregated.offers_accepted as {{ dbt.type_bigint() }}) as offers_accepted,
        cast(aggregated.offers_rejected as {{ dbt.type_bigint() }}) as offers_rejected,
        cast(aggregated.offers_pending as {{ dbt.type_bigint() }}) as offers_pending,
        {{ ratio(
            'aggregated.offers_accepted',
            '(aggregated.offers_accepted + aggregated.offers_rejected)'
        ) }} as acceptance_rate,
        {{ ratio('aggregated.resolve_days_total', 'aggregated.resolve_days_count', 2) }}
            as avg_days_to_resolve
    from aggregated
    left join jobs
        on
            aggregated.source_relation = jobs.source_relation
            and aggregated.job_id = jobs.job_id

)

select * from final
