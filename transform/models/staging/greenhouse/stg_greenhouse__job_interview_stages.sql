{#- One row per job interview stage (v3 job_interview_stages, v1 job_stages), deleted ones kept. -#}
{%- set api_version = greenhouse_api_version() -%}
{%- set raw_table = 'job_stages' if api_version == 'v1' else 'job_interview_stages' -%}
{%- set columns = raw_columns(source('greenhouse', raw_table)) if api_version == 'v1' else none -%}

with

source as (

    select * from {{ source('greenhouse', raw_table) }}
    where {{ greenhouse_not_deleted(source('greenhouse', raw_table)) }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as stage_id,
        cast(job_id as {{ dbt.type_bigint() }}) as job_id,
        cast(name as {{ dbt.type_string() }}) as stage_name,
        {%- if api_version == 'v1' %}
        cast(priority as {{ dbt.type_bigint() }}) as stage_order,
        {%- else %}
        cast(sort_order as {{ dbt.type_bigint() }}) as stage_order,
        {%- endif %}
        -- active = false marks a deleted stage, kept for history
        coalesce(
            cast(
                {{ raw_column(columns, 'active', dbt.type_boolean()) }}
                as {{ dbt.type_boolean() }}
            ),
            true
        ) as is_active,
        {{ to_utc_timestamp('created_at') }} as created_at

    from source

)

select * from renamed
