{#-
    One row per rejection reason, with its type: rejection_type_key is v3's type.key lower case
    (we_rejected_them, they_rejected_us, none_specified, security_concern); v1 has only the type
    name, mapped to the same key (`We rejected them` -> we_rejected_them).
-#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set api_version = greenhouse_api_version() -%}
    {%- set raw_table = greenhouse_source('rejection_reasons', account) -%}
    {%- set columns = raw_columns(raw_table) -%}

    {%- if warn_missing_raw_table(raw_table) %}

    with

    source as (

        select * from {{ greenhouse_source('rejection_reasons', account) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as rejection_reason_id,
            cast(
                {{ raw_column(columns, 'type__id', dbt.type_bigint()) }} as {{ dbt.type_bigint() }}
            ) as rejection_type_id,
            cast(name as {{ dbt.type_string() }}) as rejection_reason_name,
            {%- if api_version == 'v1' %}
            lower(replace(
                cast(
                    {{ raw_column(columns, 'type__name', dbt.type_string()) }}
                    as {{ dbt.type_string() }}
                ),
                ' ',
                '_'
            )) as rejection_type_key,
            {%- else %}
            lower(cast(type__key as {{ dbt.type_string() }})) as rejection_type_key,
            {%- endif %}
            cast(
                {{ raw_column(columns, 'type__name', dbt.type_string()) }}
                as {{ dbt.type_string() }}
            ) as rejection_type_name

        from source

    )

    select * from renamed
    {%- else %}

    select
        cast(null as {{ dbt.type_bigint() }}) as rejection_reason_id,
        cast(null as {{ dbt.type_bigint() }}) as rejection_type_id,
        cast(null as {{ dbt.type_string() }}) as rejection_reason_name,
        cast(null as {{ dbt.type_string() }}) as rejection_type_key,
        cast(null as {{ dbt.type_string() }}) as rejection_type_name
    where 1 = 0
    {%- endif %}
{{ account_rows_end() }}
{%- endfor %}
