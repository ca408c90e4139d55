with

departments as (

    select * from {{ ref('stg_greenhouse__departments') }}

),

final as (

    select
        source_relation,
        department_id,
        parent_department_id,
        department_name
    from departments

)

select * from final
