{#- One row per office (v3 location is a string, v1 a {name} object). -#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set raw_table = greenhouse_source('offices', account) -%}
    {%- set columns = raw_columns(raw_table) -%}

    {%- if warn_missing_raw_table(raw_table) %}

    with

    source as (

        select * from {{ greenhouse_source('offices', account) }}

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
    {%- else %}

    select
        cast(null as {{ dbt.type_bigint() }}) as office_id,
        cast(null as {{ dbt.type_bigint() }}) as parent_office_id,
        cast(null as {{ dbt.type_string() }}) as office_name
    where 1 = 0
    {%- endif %}
{{ account_rows_end() }}
{%- endfor %}
