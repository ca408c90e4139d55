{#-
    One row per Greenhouse user (recruiters, interviewers, hiring managers). Only the display
    name passes this layer: no model needs e-mail addresses or employee ids.
-#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set api_version = greenhouse_api_version() -%}

    with

    source as (

        select * from {{ greenhouse_source('users', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('users', account)) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as user_id,
            cast(name as {{ dbt.type_string() }}) as user_name,
            {%- if api_version == 'v1' %}
            cast(disabled as {{ dbt.type_boolean() }}) as is_deactivated,
            {%- else %}
            cast(deactivated as {{ dbt.type_boolean() }}) as is_deactivated,
            {%- endif %}
            {{ to_utc_timestamp('created_at') }} as created_at

        from source

    )

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
