{#- One row per department (same fields in v3 and v1). -#}
{%- set columns = raw_columns(source('greenhouse', 'departments')) -%}

with

source as (

    select * from {{ source('greenhouse', 'departments') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as department_id,
        cast(
            {{ raw_column(columns, 'parent_id', dbt.type_bigint()) }} as {{ dbt.type_bigint() }}
        ) as parent_department_id,
        cast(name as {{ dbt.type_string() }}) as department_name

    from source

)

select * from renamed
