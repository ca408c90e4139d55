{#-
    One row per candidate. No personal data (names, e-mails, phones, addresses, custom
    fields) passes this layer: no model downstream needs it.
-#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set api_version = greenhouse_api_version() -%}
    {%- set candidates_table = greenhouse_source('candidates', account) -%}
    {%- set columns = raw_columns(candidates_table) if api_version == 'v1' else none -%}

    with

    source as (

        select * from {{ greenhouse_source('candidates', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('candidates', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as candidate_id,
            {%- if api_version == 'v1' %}
            coalesce(
                cast(
                    {{ raw_column(columns, 'is_private', dbt.type_boolean()) }}
                    as {{ dbt.type_boolean() }}
                ),
                false
            ) as is_private,
            {%- else %}
            coalesce(cast(private as {{ dbt.type_boolean() }}), false) as is_private,
            {%- endif %}
            cast(can_email as {{ dbt.type_boolean() }}) as can_email,
            {{ to_utc_timestamp('created_at') }} as created_at,
            {{ to_utc_timestamp('updated_at') }} as updated_at,
            {%- if api_version == 'v1' %}
            {{ to_utc_timestamp(raw_column(columns, 'last_activity', dbt.type_timestamp())) }}
                as last_activity_at
            {%- else %}
            {{ to_utc_timestamp('last_activity_at') }} as last_activity_at
            {%- endif %}

        from source

    )

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
