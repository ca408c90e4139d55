{#- One row per office (v3 location is a string, v1 a {name} object). -#}
{%- set columns = raw_columns(source('greenhouse', 'offices')) -%}

with

source as (

    select * from {{ source('greenhouse', 'offices') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as office_id,
        cast(
            {{ raw_column(columns, 'parent_id', dbt.type_bigint()) }} as {{ dbt.type_bigint() }}
        ) as parent_office_id,
        cast(name as {{ dbt.type_string() }}) as office_name

    from source

)

select * from renamed
