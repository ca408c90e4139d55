{#-
    One row per scheduled interview (v3 interviews, v1 scheduled_interviews). job_interview_id
    is the slot of the job's interview plan it fulfils (stg_greenhouse__job_interviews), which
    gives its stage. v1 has no job_id on an interview (it is the application's).
-#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- if greenhouse_api_version() == 'v1' %}

    with

    source as (

        select * from {{ greenhouse_source('scheduled_interviews', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('scheduled_interviews', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as interview_id,
            cast(application_id as {{ dbt.type_bigint() }}) as application_id,
            cast(null as {{ dbt.type_bigint() }}) as job_id,
            cast(interview__id as {{ dbt.type_bigint() }}) as job_interview_id,
            lower(status) as status,
            {{ to_utc_timestamp('start__date_time') }} as starts_at,
            {{ to_utc_timestamp('end__date_time') }} as ends_at,
            {{ to_utc_timestamp('created_at') }} as created_at,
            {{ to_utc_timestamp('updated_at') }} as updated_at

        from source

    )
    {%- else %}

    with

    source as (

        select * from {{ greenhouse_source('interviews', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('interviews', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as interview_id,
            cast(application_id as {{ dbt.type_bigint() }}) as application_id,
            cast(job_id as {{ dbt.type_bigint() }}) as job_id,
            cast(job_interview_id as {{ dbt.type_bigint() }}) as job_interview_id,
            lower(status) as status,
            {{ to_utc_timestamp('starts_at') }} as starts_at,
            {{ to_utc_timestamp('ends_at') }} as ends_at,
            {{ to_utc_timestamp('created_at') }} as created_at,
            {{ to_utc_timestamp('updated_at') }} as updated_at

        from source

    )
    {%- endif %}

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
