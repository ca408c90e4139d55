{#-
    One row per scorecard. overall_recommendation in the canonical lower-case vocabulary
    definitely_not, no, yes, strong_yes, no_decision (v3 candidate_rating calls definitely_not
    strong_no; v1 overall_recommendation already says definitely_not). submitted_at is null
    while a v3 scorecard is a draft; v1 lists submitted scorecards only.
-#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- if greenhouse_api_version() == 'v1' %}

    with

    source as (

        select * from {{ greenhouse_source('scorecards', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('scorecards', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as scorecard_id,
            cast(application_id as {{ dbt.type_bigint() }}) as application_id,
            cast(interviewer__id as {{ dbt.type_bigint() }}) as interviewer_user_id,
            cast(submitted_by__id as {{ dbt.type_bigint() }}) as submitted_by_user_id,
            lower(overall_recommendation) as overall_recommendation,
            'complete' as status,
            {{ to_utc_timestamp('interviewed_at') }} as interviewed_at,
            {{ to_utc_timestamp('submitted_at') }} as submitted_at,
            {{ to_utc_timestamp('created_at') }} as created_at

        from source

    )
    {%- else %}

    with

    source as (

        select * from {{ greenhouse_source('scorecards', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('scorecards', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as scorecard_id,
            cast(application_id as {{ dbt.type_bigint() }}) as application_id,
            cast(interviewer_id as {{ dbt.type_bigint() }}) as interviewer_user_id,
            cast(submitter_id as {{ dbt.type_bigint() }}) as submitted_by_user_id,
            case lower(candidate_rating)
                when 'strong_no' then 'definitely_not'
                else lower(candidate_rating)
            end as overall_recommendation,
            lower(status) as status,
            {{ to_utc_timestamp('interviewed_at') }} as interviewed_at,
            {{ to_utc_timestamp('submitted_at') }} as submitted_at,
            {{ to_utc_timestamp('created_at') }} as created_at

        from source

    )
    {%- endif %}

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
