with

candidates as (

    select * from {{ ref('stg_greenhouse__candidates') }}

),

applications as (

    select * from {{ ref('stg_greenhouse__applications') }}

),

application_counts as (

    select
        source_relation,
        candidate_id,
        sum(case when not is_prospect then 1 else 0 end) as candidate_applications,
        sum(case when is_prospect then 1 else 0 end) as prospect_applications,
        sum(case when status = 'hired' then 1 else 0 end) as hired_applications,
        min(applied_at) as first_applied_at
    from applications
    group by 1, 2

),

final as (

    select
        candidates.source_relation,
        candidates.candidate_id,
        cast(coalesce(application_counts.candidate_applications, 0) as {{ dbt.type_bigint() }})
            as candidate_applications,
        cast(coalesce(application_counts.prospect_applications, 0) as {{ dbt.type_bigint() }})
            as prospect_applications,
        coalesce(application_counts.hired_applications, 0) > 0 as is_hired,
        candidates.is_private,
        candidates.can_email,
        candidates.created_at,
        application_counts.first_applied_at,
        candidates.last_activity_at
    from candidates
    left join application_counts
        on
            candidates.source_relation = application_counts.source_relation
            and candidates.candidate_id = application_counts.candidate_id

)

select * from final
