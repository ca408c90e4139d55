{#-
    The custom field dictionary: one row per custom field of any entity, active or not. The
    `<entity>_custom_fields` marts read it while they compile (macros/custom_fields.sql) to
    decide their columns. Missing raw table (endpoint not extracted): empty, with a warning.
-#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set raw_table = greenhouse_source('custom_fields', account) -%}

    {%- if warn_missing_raw_table(raw_table) %}

    with

    source as (

        select * from {{ greenhouse_source('custom_fields', account) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as custom_field_id,
            lower(cast(field_type as {{ dbt.type_string() }})) as field_type,
            cast(name as {{ dbt.type_string() }}) as custom_field_name,
            cast(name_key as {{ dbt.type_string() }}) as name_key,
            lower(cast(value_type as {{ dbt.type_string() }})) as value_type,
            coalesce(cast(active as {{ dbt.type_boolean() }}), true) as is_active,
            coalesce(cast(private as {{ dbt.type_boolean() }}), false) as is_private

        from source

    )

    select * from renamed
    {%- else %}

    select
        cast(null as {{ dbt.type_bigint() }}) as custom_field_id,
        cast(null as {{ dbt.type_string() }}) as field_type,
        cast(null as {{ dbt.type_string() }}) as custom_field_name,
        cast(null as {{ dbt.type_string() }}) as name_key,
        cast(null as {{ dbt.type_string() }}) as value_type,
        cast(null as {{ dbt.type_boolean() }}) as is_active,
        cast(null as {{ dbt.type_boolean() }}) as is_private
    where 1 = 0
    {%- endif %}
{{ account_rows_end() }}
{%- endfor %}
