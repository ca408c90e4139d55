with

jobs as (

    select * from {{ ref('stg_greenhouse__jobs') }}

),

departments as (

    select * from {{ ref('stg_greenhouse__departments') }}

),

offices as (

    select * from {{ ref('stg_greenhouse__offices') }}

),

final as (

    select
        jobs.source_relation,
        jobs.job_id,
        jobs.department_id,
        jobs.office_id,
        jobs.job_name,
        jobs.requisition_id,
        jobs.status as job_status,
        departments.department_name,
        offices.office_name,
        jobs.is_confidential,
        jobs.created_at,
        jobs.opened_at,
        jobs.closed_at
    from jobs
    left join departments
        on
            jobs.source_relation = departments.source_relation
            and jobs.department_id = departments.department_id
    left join offices
        on
            jobs.source_relation = offices.source_relation
            and jobs.office_id = offices.office_id

)

select * from final
