{#- One row per candidate source (same shape in v3 and v1: type flattened by dlt as type__*). -#}
{%- set columns = raw_columns(source('greenhouse', 'sources')) -%}

with

source as (

    select * from {{ source('greenhouse', 'sources') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as source_id,
        cast(name as {{ dbt.type_string() }}) as source_name,
        cast(
            {{ raw_column(columns, 'type__name', dbt.type_string()) }} as {{ dbt.type_string() }}
        ) as source_type

    from source

)

select * from renamed
