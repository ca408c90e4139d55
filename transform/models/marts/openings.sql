{#-
    One row per job opening: when it opened and closed, the days it has been open (to its close,
    or to "now" while open: macro greenhouse_as_of), the application that filled it and why it
    was closed. A fill by an application deleted since (the extract's deletion sweep) keeps the
    opening filled, with no application to point at.
-#}

with

openings as (

    select * from {{ ref('stg_greenhouse__openings') }}

),

close_reasons as (

    select * from {{ ref('stg_greenhouse__close_reasons') }}

),

jobs as (

    select * from {{ ref('jobs') }}

),

applications as (

    select * from {{ ref('stg_greenhouse__applications') }}

),

final as (

    select
        openings.source_relation,
        openings.opening_id,
        openings.job_id,
        jobs.department_id,
        -- the hire that filled it: only a closed opening is filled (a reopened opening that is
        -- open again is not, whatever application it still names)
        case
            when openings.closed_at is not null then applications.application_id
        end as filled_by_application_id,
        openings.close_reason_id,
        openings.external_opening_id,
        jobs.job_name,
        close_reasons.close_reason_name,
        cast({{ dbt.datediff(
            'openings.opened_at',
            'coalesce(openings.closed_at, ' ~ greenhouse_as_of() ~ ')',
            'day'
        ) }} as {{ dbt.type_bigint() }}) as days_open,
        openings.closed_at is null as is_open,
        openings.closed_at is not null and openings.application_id is not null as is_filled,
        openings.opened_at,
        openings.closed_at
    from openings
    left join close_reasons
        on
            openings.source_relation = close_reasons.source_relation
            and openings.close_reason_id = close_reasons.close_reason_id
    left join jobs
        on
            openings.source_relation = jobs.source_relation
            and openings.job_id = jobs.job_id
    left join applications
        on
            openings.source_relation = applications.source_relation
            and openings.application_id = applications.application_id

)

select * from final
