{#-
    One row per interview slot of a job's interview plan (v3 job_interviews; v1 the nested
    job_stages.interviews[]): the stage an interview belongs to.
-#}
{%- if greenhouse_api_version() == 'v1' %}
{{ config(pre_hook=index_parent_hooks(['job_stages__interviews'])) }}
{%- endif %}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- if greenhouse_api_version() == 'v1' %}
    {%- set slots = greenhouse_source('job_stages__interviews', account) %}

    with

    stages as (

        select * from {{ greenhouse_source('job_stages', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('job_stages', account)) }}

    ),

    {%- if raw_table_exists(slots) %}

    slots as (

        select * from {{ slots }}

    ),

    renamed as (

        select
            cast(slots.id as {{ dbt.type_bigint() }}) as job_interview_id,
            cast(stages.job_id as {{ dbt.type_bigint() }}) as job_id,
            cast(stages.id as {{ dbt.type_bigint() }}) as stage_id,
            cast(slots.name as {{ dbt.type_string() }}) as job_interview_name

        from slots
        inner join stages
            on slots._dlt_parent_id = stages._dlt_id

    )
    {%- else %}

    renamed as (

        select
            cast(null as {{ dbt.type_bigint() }}) as job_interview_id,
            cast(null as {{ dbt.type_bigint() }}) as job_id,
            cast(null as {{ dbt.type_bigint() }}) as stage_id,
            cast(null as {{ dbt.type_string() }}) as job_interview_name
        from stages
        where 1 = 0

    )
    {%- endif %}
    {%- else %}

    with

    source as (

        select * from {{ greenhouse_source('job_interviews', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('job_interviews', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as job_interview_id,
            cast(job_id as {{ dbt.type_bigint() }}) as job_id,
            cast(job_interview_stage_id as {{ dbt.type_bigint() }}) as stage_id,
            cast(name as {{ dbt.type_string() }}) as job_interview_name

        from source

    )
    {%- endif %}

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
