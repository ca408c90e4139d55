{#-
    One row per job opening (a headcount slot of a job). v3 reads the openings endpoint; v1
    nests openings[] in jobs (dlt child table jobs__openings), joined back to its job.
    external_opening_id is Greenhouse's free-form `opening_id` (an HRIS position id).
-#}
{%- if greenhouse_api_version() == 'v1' %}
{{ config(pre_hook=index_parent_hooks(['jobs__openings'])) }}
{%- endif %}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- if greenhouse_api_version() == 'v1' %}
    {%- set child = greenhouse_source('jobs__openings', account) %}
    {%- set columns = raw_columns(child) %}
    {%- if raw_table_exists(child) %}

    with

    source as (

        select * from {{ greenhouse_source('jobs__openings', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('jobs__openings', account)) }}

    ),

    jobs as (

        select * from {{ greenhouse_source('jobs', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('jobs', account)) }}

    ),

    renamed as (

        select
            cast(source.id as {{ dbt.type_bigint() }}) as opening_id,
            cast(jobs.id as {{ dbt.type_bigint() }}) as job_id,
            cast(
                {{ raw_column(columns, 'application_id', dbt.type_bigint(), 'source') }}
                as {{ dbt.type_bigint() }}
            ) as application_id,
            cast(
                {{ raw_column(columns, 'close_reason__id', dbt.type_bigint(), 'source') }}
                as {{ dbt.type_bigint() }}
            ) as close_reason_id,
            cast(
                {{ raw_column(columns, 'opening_id', dbt.type_string(), 'source') }}
                as {{ dbt.type_string() }}
            ) as external_opening_id,
            {{ to_utc_timestamp(raw_column(columns, 'opened_at', dbt.type_timestamp(), 'source')) }}
                as opened_at,
            {{ to_utc_timestamp(raw_column(columns, 'closed_at', dbt.type_timestamp(), 'source')) }}
                as closed_at

        from source
        inner join jobs
            on source._dlt_parent_id = jobs._dlt_id

    )

    select * from renamed
    {%- else %}

    -- no job has an opening yet: dlt has not created the child table
    select
        cast(null as {{ dbt.type_bigint() }}) as opening_id,
        cast(null as {{ dbt.type_bigint() }}) as job_id,
        cast(null as {{ dbt.type_bigint() }}) as application_id,
        cast(null as {{ dbt.type_bigint() }}) as close_reason_id,
        cast(null as {{ dbt.type_string() }}) as external_opening_id,
        cast(null as {{ dbt.type_timestamp() }}) as opened_at,
        cast(null as {{ dbt.type_timestamp() }}) as closed_at
    where 1 = 0
    {%- endif %}
    {%- else %}

    with

    source as (

        select * from {{ greenhouse_source('openings', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('openings', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as opening_id,
            cast(job_id as {{ dbt.type_bigint() }}) as job_id,
            cast(application_id as {{ dbt.type_bigint() }}) as application_id,
            cast(close_reason_id as {{ dbt.type_bigint() }}) as close_reason_id,
            cast(opening_id as {{ dbt.type_string() }}) as external_opening_id,
            {{ to_utc_timestamp('opened_at') }} as opened_at,
            {{ to_utc_timestamp('closed_at') }} as closed_at

        from source

    )

    select * from renamed
    {%- endif %}
{{ account_rows_end() }}
{%- endfor %}
