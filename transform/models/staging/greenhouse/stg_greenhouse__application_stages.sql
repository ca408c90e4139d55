{#-
    v3 stage history: one row per application and job interview stage; entered_at is null for
    stages the application never entered. v1 has no stage history: this model is empty there
    (same columns), see docs/transform.md.
-#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- if greenhouse_api_version() == 'v1' %}

    with

    renamed as (

        select
            cast(null as {{ dbt.type_bigint() }}) as application_stage_id,
            cast(null as {{ dbt.type_bigint() }}) as application_id,
            cast(null as {{ dbt.type_bigint() }}) as stage_id,
            cast(null as {{ dbt.type_bigint() }}) as days_in_stage,
            cast(null as {{ dbt.type_boolean() }}) as is_current,
            cast(null as {{ dbt.type_timestamp() }}) as entered_at,
            cast(null as {{ dbt.type_timestamp() }}) as exited_at

    )

    select * from renamed
    where 1 = 0
    {%- else %}

    with

    source as (

        select * from {{ greenhouse_source('application_stages', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('application_stages', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as application_stage_id,
            cast(application_id as {{ dbt.type_bigint() }}) as application_id,
            cast(job_interview_stage_id as {{ dbt.type_bigint() }}) as stage_id,
            cast(days_in_stage as {{ dbt.type_bigint() }}) as days_in_stage,
            cast({{ quoted_column('current') }} as {{ dbt.type_boolean() }}) as is_current,
            {{ to_utc_timestamp('entered_at') }} as entered_at,
            {{ to_utc_timestamp('exited_at') }} as exited_at

        from source

    )

    select * from renamed
    {%- endif %}
{{ account_rows_end() }}
{%- endfor %}
