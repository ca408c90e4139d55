{#- One row per offer version; status in the canonical v3 vocabulary, lower case. -#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set api_version = greenhouse_api_version() -%}
    {%- set raw_relation = greenhouse_source('offers', account) -%}
    {%- set columns = raw_columns(raw_relation) if api_version == 'v1' else none -%}

    with

    source as (

        select * from {{ greenhouse_source('offers', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('offers', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as offer_id,
            cast(application_id as {{ dbt.type_bigint() }}) as application_id,
            cast(job_id as {{ dbt.type_bigint() }}) as job_id,
            cast(candidate_id as {{ dbt.type_bigint() }}) as candidate_id,
            {%- if api_version == 'v1' %}
            cast(
                {{ raw_column(columns, 'opening__id', dbt.type_bigint()) }}
                as {{ dbt.type_bigint() }}
            ) as opening_id,
            {%- else %}
            cast(opening_id as {{ dbt.type_bigint() }}) as opening_id,
            {%- endif %}
            cast(version as {{ dbt.type_bigint() }}) as offer_version,
            {%- if api_version == 'v1' %}
            case lower(status)
                when 'unresolved' then 'created'
                else lower(status)
            end as status,
            cast({{ raw_column(columns, 'sent_at', 'date') }} as date) as sent_date,
            cast({{ raw_column(columns, 'starts_at', 'date') }} as date) as starts_date,
            {{ to_utc_timestamp('created_at') }} as created_at,
            {{ to_utc_timestamp(raw_column(columns, 'resolved_at', dbt.type_timestamp())) }}
                as resolved_at
            {%- else %}
            lower(status) as status,
            cast(sent_on as date) as sent_date,
            cast(starts_on as date) as starts_date,
            {{ to_utc_timestamp('created_at') }} as created_at,
            {{ to_utc_timestamp('resolved_at') }} as resolved_at
            {%- endif %}

        from source

    )

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
