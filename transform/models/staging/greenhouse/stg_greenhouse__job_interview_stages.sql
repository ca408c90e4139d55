{#- One row per job interview stage (v3 job_interview_stages, v1 job_stages), deleted ones kept. -#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set api_version = greenhouse_api_version() -%}
    {%- set raw_table = 'job_stages' if api_version == 'v1' else 'job_interview_stages' -%}
    {%- set raw_relation = greenhouse_source(raw_table, account) -%}
    {%- set columns = raw_columns(raw_relation) if api_version == 'v1' else none -%}

    with

    source as (

        select * from {{ greenhouse_source(raw_table, account) }}
        where {{ greenhouse_not_deleted(greenhouse_source(raw_table, account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as stage_id,
            cast(job_id as {{ dbt.type_bigint() }}) as job_id,
            cast(name as {{ dbt.type_string() }}) as stage_name,
            {%- if api_version == 'v1' %}
            cast(priority as {{ dbt.type_bigint() }}) as stage_order,
            {%- else %}
            cast(sort_order as {{ dbt.type_bigint() }}) as stage_order,
            {%- endif %}
            -- active = false marks a deleted stage, kept for history
            coalesce(
                cast(
                    {{ raw_column(columns, 'active', dbt.type_boolean()) }}
                    as {{ dbt.type_boolean() }}
                ),
                true
            ) as is_active,
            {{ to_utc_timestamp('created_at') }} as created_at

        from source

    )

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
