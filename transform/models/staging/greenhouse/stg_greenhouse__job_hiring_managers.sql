{#-
    One row per job and hiring manager (v3 job_hiring_managers; v1 the nested
    jobs.hiring_team.hiring_managers[], whose id is the user's).
-#}
{%- if greenhouse_api_version() == 'v1' %}
{{ config(pre_hook=index_parent_hooks(['jobs__hiring_team__hiring_managers'])) }}
{%- endif %}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- if greenhouse_api_version() == 'v1' %}
    {%- set managers = greenhouse_source('jobs__hiring_team__hiring_managers', account) %}

    with

    jobs as (

        select * from {{ greenhouse_source('jobs', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('jobs', account)) }}

    ),

    {%- if raw_table_exists(managers) %}

    managers as (

        select * from {{ managers }}

    ),

    renamed as (

        select
            cast(jobs.id as {{ dbt.type_bigint() }}) as job_id,
            cast(managers.id as {{ dbt.type_bigint() }}) as user_id

        from managers
        inner join jobs
            on managers._dlt_parent_id = jobs._dlt_id

    )
    {%- else %}

    renamed as (

        select
            cast(null as {{ dbt.type_bigint() }}) as job_id,
            cast(null as {{ dbt.type_bigint() }}) as user_id
        from jobs
        where 1 = 0

    )
    {%- endif %}
    {%- else %}

    with

    source as (

        select * from {{ greenhouse_source('job_hiring_managers', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('job_hiring_managers', account)) }}

    ),

    renamed as (

        select
            cast(job_id as {{ dbt.type_bigint() }}) as job_id,
            cast(user_id as {{ dbt.type_bigint() }}) as user_id

        from source

    )
    {%- endif %}

    select
        {{ dbt.concat([
            dbt.cast('job_id', dbt.type_string()),
            "'-'",
            dbt.cast('user_id', dbt.type_string()),
        ]) }} as job_hiring_manager_id,
        job_id,
        user_id
    from renamed
{{ account_rows_end() }}
{%- endfor %}
