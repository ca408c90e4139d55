{#-
    One row per application with the dates its outcome metrics need: applied, rejected, hired
    and its current offer's resolution. Greenhouse has no hired date on an application: hired_at
    is the resolution time of its current offer when that offer is accepted (null for a hired
    application without one). offer_resolved_at is the resolution time of the current offer when
    it is accepted or rejected.
-#}

with

applications as (

    select * from {{ ref('stg_greenhouse__applications') }}

),

-- the current offer (highest version) of each application
offers as (

    select * from {{ ref('offers') }}

),

final as (

    select
        applications.source_relation,
        applications.application_id,
        applications.candidate_id,
        applications.job_id,
        applications.source_id,
        applications.current_stage_id,
        offers.offer_id as current_offer_id,
        applications.status,
        offers.status as current_offer_status,
        applications.is_prospect,
        applications.applied_at,
        applications.rejected_at,
        case
            when applications.status = 'hired' and offers.status = 'accepted'
                then offers.resolved_at
        end as hired_at,
        case
            when offers.status in ('accepted', 'rejected') then offers.resolved_at
        end as offer_resolved_at
    from applications
    left join offers
        on
            applications.source_relation = offers.source_relation
            and applications.application_id = offers.application_id

)

select * from final
