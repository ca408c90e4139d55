{#-
    One row per job. Department: v3 department_id / the first of v1 departments[]; office: the
    first of v3 office_ids[] / v1 offices[].
-#}
{%- if greenhouse_api_version() == 'v1' %}
{{ config(pre_hook=index_parent_hooks(['jobs__departments', 'jobs__offices'])) }}
{%- else %}
{{ config(pre_hook=index_parent_hooks(['jobs__office_ids'])) }}
{%- endif %}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set api_version = greenhouse_api_version() -%}
    {%- if api_version == 'v1' %}
    {%- set columns = raw_columns(greenhouse_source('jobs', account)) %}
    {%- set departments_child = greenhouse_source('jobs__departments', account) %}
    {%- set offices_child = greenhouse_source('jobs__offices', account) %}
    {%- set office_id_column = 'id' %}
    {%- else %}
    {%- set columns = none %}
    {%- set offices_child = greenhouse_source('jobs__office_ids', account) %}
    {#- v3 office_ids[] is a list of scalars: dlt keeps each id in `value` #}
    {%- set office_id_column = 'value' %}
    {%- endif %}

    with

    source as (

        select * from {{ greenhouse_source('jobs', account) }}
        where {{ greenhouse_not_deleted(greenhouse_source('jobs', account)) }}

    ),

    -- the first element of the nested lists
    {%- if api_version == 'v1' %}

    first_department as (

        {{ first_list_element(departments_child, 'id', 'department_id') }}

    ),
    {%- endif %}

    first_office as (

        {{ first_list_element(offices_child, office_id_column, 'office_id') }}

    ),

    renamed as (

        select
            cast(source.id as {{ dbt.type_bigint() }}) as job_id,
            {%- if api_version == 'v1' %}
            cast(first_department.department_id as {{ dbt.type_bigint() }}) as department_id,
            {%- else %}
            cast(source.department_id as {{ dbt.type_bigint() }}) as department_id,
            {%- endif %}
            cast(first_office.office_id as {{ dbt.type_bigint() }}) as office_id,
            cast(source.name as {{ dbt.type_string() }}) as job_name,
            cast(
                {{ raw_column(columns, 'requisition_id', dbt.type_string(), 'source') }}
                as {{ dbt.type_string() }}
            ) as requisition_id,
            lower(source.status) as status,
            cast(
                {{ raw_column(columns, 'confidential', dbt.type_boolean(), 'source') }}
                as {{ dbt.type_boolean() }}
            ) as is_confidential,
            {{ to_utc_timestamp('source.created_at') }} as created_at,
            {{ to_utc_timestamp(raw_column(columns, 'opened_at', dbt.type_timestamp(), 'source')) }}
                as opened_at,
            {{ to_utc_timestamp(raw_column(columns, 'closed_at', dbt.type_timestamp(), 'source')) }}
                as closed_at

        from source
        {% if api_version == 'v1' -%}
        left join first_department
            on source._dlt_id = first_department._dlt_parent_id
        {% endif -%}
        left join first_office
            on source._dlt_id = first_office._dlt_parent_id

    )

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
