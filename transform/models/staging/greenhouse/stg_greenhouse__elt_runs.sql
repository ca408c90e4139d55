{#- One row per stage of every pipeline run, as `elt` appends them (same for v3 and v1). -#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set raw_table = greenhouse_source('elt_runs', account) -%}

    {%- if raw_table_exists(raw_table) %}

    with

    source as (

        select * from {{ greenhouse_source('elt_runs', account) }}

    ),

    renamed as (

        select
            cast(run_id as {{ dbt.type_string() }}) as run_id,
            cast(stage as {{ dbt.type_string() }}) as pipeline_stage,
            cast(api_version as {{ dbt.type_string() }}) as api_version,
            cast(dest as {{ dbt.type_string() }}) as dest,
            cast(pipeline_name as {{ dbt.type_string() }}) as pipeline_name,
            cast(error as {{ dbt.type_string() }}) as error_message,
            cast(exit_code as {{ dbt.type_bigint() }}) as exit_code,
            cast(records_read as {{ dbt.type_bigint() }}) as records_read,
            cast(requests as {{ dbt.type_bigint() }}) as requests,
            cast(rate_limited_429 as {{ dbt.type_bigint() }}) as rate_limited_429,
            {{ to_utc_timestamp('started_at') }} as started_at,
            {{ to_utc_timestamp('finished_at') }} as finished_at

        from source

    )

    select * from renamed
    {%- else %}

    select
        cast(null as {{ dbt.type_string() }}) as run_id,
        cast(null as {{ dbt.type_string() }}) as pipeline_stage,
        cast(null as {{ dbt.type_string() }}) as api_version,
        cast(null as {{ dbt.type_string() }}) as dest,
        cast(null as {{ dbt.type_string() }}) as pipeline_name,
        cast(null as {{ dbt.type_string() }}) as error_message,
        cast(null as {{ dbt.type_bigint() }}) as exit_code,
        cast(null as {{ dbt.type_bigint() }}) as records_read,
        cast(null as {{ dbt.type_bigint() }}) as requests,
        cast(null as {{ dbt.type_bigint() }}) as rate_limited_429,
        cast(null as {{ dbt.type_timestamp() }}) as started_at,
        cast(null as {{ dbt.type_timestamp() }}) as finished_at
    where 1 = 0
    {%- endif %}
{{ account_rows_end() }}
{%- endfor %}
