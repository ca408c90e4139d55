{#- One row per close reason of job openings (same shape in v3 and v1). -#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set raw_table = greenhouse_source('close_reasons', account) -%}

    {%- if warn_missing_raw_table(raw_table) %}

    with

    source as (

        select * from {{ greenhouse_source('close_reasons', account) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as close_reason_id,
            cast(name as {{ dbt.type_string() }}) as close_reason_name

        from source

    )

    select * from renamed
    {%- else %}

    select
        cast(null as {{ dbt.type_bigint() }}) as close_reason_id,
        cast(null as {{ dbt.type_string() }}) as close_reason_name
    where 1 = 0
    {%- endif %}
{{ account_rows_end() }}
{%- endfor %}
