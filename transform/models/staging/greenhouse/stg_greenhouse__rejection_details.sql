{#-
    One row per rejected application: its rejection reason, who rejected it and when. v3 reads
    the rejection_details endpoint; v1 nests the reason in the application (rejection_reason),
    without who rejected it (rejected_by_user_id null) or a record id of its own.
-#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- if greenhouse_api_version() == 'v1' %}
    {%- set columns = raw_columns(greenhouse_source('applications', account)) %}

    with

    source as (

        select * from {{ greenhouse_source('applications', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('applications', account)) }}

    ),

    renamed as (

        select
            cast(null as {{ dbt.type_bigint() }}) as rejection_detail_id,
            cast(id as {{ dbt.type_bigint() }}) as application_id,
            cast(
                {{ raw_column(columns, 'rejection_reason__id', dbt.type_bigint()) }}
                as {{ dbt.type_bigint() }}
            ) as rejection_reason_id,
            cast(null as {{ dbt.type_bigint() }}) as rejected_by_user_id,
            {{ to_utc_timestamp(raw_column(columns, 'rejected_at', dbt.type_timestamp())) }}
                as rejected_at

        from source
        where lower(status) = 'rejected'

    )
    {%- else %}

    with

    source as (

        select * from {{ greenhouse_source('rejection_details', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('rejection_details', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as rejection_detail_id,
            cast(application_id as {{ dbt.type_bigint() }}) as application_id,
            cast(rejection_reason_id as {{ dbt.type_bigint() }}) as rejection_reason_id,
            cast(rejected_by_id as {{ dbt.type_bigint() }}) as rejected_by_user_id,
            {{ to_utc_timestamp('rejected_at') }} as rejected_at

        from source

    )
    {%- endif %}

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
