{#-
    One row per rejected application: its reason and the reason's type (we rejected them /
    they rejected us / other), the stage it was rejected at (its current stage) and the days
    from applying to the rejection. Prospects included (flagged; they sit in no stage).
-#}

with

applications as (

    select * from {{ ref('int_applications_dated') }}

),

details as (

    select * from {{ ref('stg_greenhouse__rejection_details') }}

),

reasons as (

    select * from {{ ref('stg_greenhouse__rejection_reasons') }}

),

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

final as (

    select
        applications.source_relation,
        applications.application_id,
        applications.candidate_id,
        applications.job_id,
        details.rejection_reason_id,
        applications.current_stage_id as rejected_stage_id,
        details.rejected_by_user_id,
        reasons.rejection_reason_name,
        case
            when reasons.rejection_type_key in ('we_rejected_them', 'they_rejected_us')
                then reasons.rejection_type_key
            else 'other'
        end as rejection_type,
        stages.stage_name as rejected_stage_name,
        stages.stage_order as rejected_stage_order,
        cast({{ dbt.datediff(
            'applications.applied_at', 'applications.rejected_at', 'day'
        ) }} as {{ dbt.type_bigint() }}) as days_to_reject,
        applications.is_prospect,
        applications.applied_at,
        applications.rejected_at
    from applications
    left join details
        on
            applications.source_relation = details.source_relation
            and applications.application_id = details.application_id
    left join reasons
        on
            details.source_relation = reasons.source_relation
            and details.rejection_reason_id = reasons.rejection_reason_id
    left join stages
        on
            applications.source_relation = stages.source_relation
            and applications.current_stage_id = stages.stage_id
    where applications.status = 'rejected'

)

select * from final
