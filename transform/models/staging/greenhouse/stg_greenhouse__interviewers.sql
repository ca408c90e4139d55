{#-
    One row per scheduled interview and panel member (v3 interviewers; v1 the nested
    scheduled_interviews.interviewers[], whose id is the user's). scorecard_id is the member's
    scorecard, null when none was assigned. Members without a Greenhouse user (external
    attendees, v3 user_id null) are kept here with a null user_id.
-#}
{%- if greenhouse_api_version() == 'v1' %}
{{ config(pre_hook=index_parent_hooks(['scheduled_interviews__interviewers'])) }}
{%- endif %}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- if greenhouse_api_version() == 'v1' %}
    {%- set panel = greenhouse_source('scheduled_interviews__interviewers', account) %}
    {%- set columns = raw_columns(panel) %}

    with

    interviews as (

        select * from {{ greenhouse_source('scheduled_interviews', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('scheduled_interviews', account)) }}

    ),

    {%- if raw_table_exists(panel) %}

    panel as (

        select * from {{ panel }}

    ),

    renamed as (

        select
            {{ dbt.concat([
                dbt.cast('interviews.id', dbt.type_string()),
                "'-'",
                dbt.cast('panel.id', dbt.type_string()),
            ]) }} as interviewer_key,
            cast(interviews.id as {{ dbt.type_bigint() }}) as interview_id,
            cast(panel.id as {{ dbt.type_bigint() }}) as user_id,
            cast(
                {{ raw_column(columns, 'scorecard_id', dbt.type_bigint(), 'panel') }}
                as {{ dbt.type_bigint() }}
            ) as scorecard_id,
            cast(
                {{ raw_column(columns, 'response_status', dbt.type_string(), 'panel') }}
                as {{ dbt.type_string() }}
            ) as response_status

        from panel
        inner join interviews
            on panel._dlt_parent_id = interviews._dlt_id

    )
    {%- else %}

    renamed as (

        select
            cast(null as {{ dbt.type_string() }}) as interviewer_key,
            cast(null as {{ dbt.type_bigint() }}) as interview_id,
            cast(null as {{ dbt.type_bigint() }}) as user_id,
            cast(null as {{ dbt.type_bigint() }}) as scorecard_id,
            cast(null as {{ dbt.type_string() }}) as response_status
        from interviews
        where 1 = 0

    )
    {%- endif %}
    {%- else %}

    with

    source as (

        select * from {{ greenhouse_source('interviewers', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('interviewers', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_string() }}) as interviewer_key,
            cast(interview_id as {{ dbt.type_bigint() }}) as interview_id,
            cast(user_id as {{ dbt.type_bigint() }}) as user_id,
            cast(scorecard_id as {{ dbt.type_bigint() }}) as scorecard_id,
            cast(response_status as {{ dbt.type_string() }}) as response_status

        from source

    )
    {%- endif %}

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
