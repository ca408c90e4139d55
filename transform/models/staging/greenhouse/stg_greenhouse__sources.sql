{#- One row per candidate source (same shape in v3 and v1: type flattened by dlt as type__*). -#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set raw_table = greenhouse_source('sources', account) -%}
    {%- set columns = raw_columns(raw_table) -%}

    {%- if warn_missing_raw_table(raw_table) %}

    with

    source as (

        select * from {{ greenhouse_source('sources', account) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as source_id,
            cast(name as {{ dbt.type_string() }}) as source_name,
            cast(
                {{ raw_column(columns, 'type__name', dbt.type_string()) }}
                as {{ dbt.type_string() }}
            ) as source_type

        from source

    )

    select * from renamed
    {%- else %}

    select
        cast(null as {{ dbt.type_bigint() }}) as source_id,
        cast(null as {{ dbt.type_string() }}) as source_name,
        cast(null as {{ dbt.type_string() }}) as source_type
    where 1 = 0
    {%- endif %}
{{ account_rows_end() }}
{%- endfor %}
