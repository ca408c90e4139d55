{#- One row per application (candidate applications and prospects), same columns for v3 and v1. -#}
{%- if greenhouse_api_version() == 'v1' %}
{{ config(pre_hook=index_parent_hooks(['applications__jobs'])) }}
{%- endif %}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- if greenhouse_api_version() == 'v1' %}
    {%- set columns = raw_columns(greenhouse_source('applications', account)) %}

    with

    source as (

        select * from {{ greenhouse_source('applications', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('applications', account)) }}

    ),

    -- v1 nests jobs[] (dlt child table): a candidate application lists exactly one job. A
    -- prospect lists the jobs it is prospected for, which v3 keeps apart (prospective_job_ids,
    -- job_id null), so prospects get no job_id here. An equi-join on the child's parent id keeps
    -- this linear on every destination.
    first_job as (

        {{ first_list_element(greenhouse_source('applications__jobs', account), 'id', 'job_id') }}

    ),

    renamed as (

        select
            cast(source.id as {{ dbt.type_bigint() }}) as application_id,
            cast(source.candidate_id as {{ dbt.type_bigint() }}) as candidate_id,
            cast(
                case when not source.prospect then first_job.job_id end as {{ dbt.type_bigint() }}
            ) as job_id,
            cast(
                {{ raw_column(columns, 'current_stage__id', dbt.type_bigint(), 'source') }}
                as {{ dbt.type_bigint() }}
            ) as current_stage_id,
            cast(
                {{ raw_column(columns, 'source__id', dbt.type_bigint(), 'source') }}
                as {{ dbt.type_bigint() }}
            ) as source_id,
            case lower(source.status)
                when 'active' then 'in_process'
                else lower(source.status)
            end as status,
            cast(source.prospect as {{ dbt.type_boolean() }}) as is_prospect,
            {{ to_utc_timestamp('source.applied_at') }} as applied_at,
            {{ to_utc_timestamp(
                raw_column(columns, 'rejected_at', dbt.type_timestamp(), 'source')
            ) }} as rejected_at,
            {{ to_utc_timestamp('source.last_activity_at') }} as last_activity_at

        from source
        left join first_job
            on source._dlt_id = first_job._dlt_parent_id

    )
    {%- else %}

    with

    source as (

        select * from {{ greenhouse_source('applications', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('applications', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as application_id,
            cast(candidate_id as {{ dbt.type_bigint() }}) as candidate_id,
            cast(job_id as {{ dbt.type_bigint() }}) as job_id,
            cast(stage_id as {{ dbt.type_bigint() }}) as current_stage_id,
            cast(source_id as {{ dbt.type_bigint() }}) as source_id,
            lower(status) as status,
            cast(prospect as {{ dbt.type_boolean() }}) as is_prospect,
            -- v3 has no applied_at: an application is created when the candidate applies
            {{ to_utc_timestamp('created_at') }} as applied_at,
            {{ to_utc_timestamp('rejected_at') }} as rejected_at,
            {{ to_utc_timestamp('last_activity_at') }} as last_activity_at

        from source

    )
    {%- endif %}

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
