{#-
    One row per job. Department: v3 department_id / the first of v1 departments[]; office: the
    first of v3 office_ids[] / v1 offices[].
-#}
{%- set api_version = greenhouse_api_version() -%}
{%- if api_version == 'v1' %}
{{ config(pre_hook=[
    "{{ index_parent_id(source('greenhouse', 'jobs__departments')) }}",
    "{{ index_parent_id(source('greenhouse', 'jobs__offices')) }}",
]) }}
{%- else %}
{{ config(pre_hook=["{{ index_parent_id(source('greenhouse', 'jobs__office_ids')) }}"]) }}
{%- endif %}

with

source as (

    select * from {{ source('greenhouse', 'jobs') }}

),

{%- if api_version == 'v1' %}

-- v1 nests departments[] and offices[] (dlt child tables): take the first of each with an
-- equi-join on the parent id, which stays linear on every destination.
first_department as (

    select
        _dlt_parent_id,
        id as department_id
    from {{ source('greenhouse', 'jobs__departments') }}
    where _dlt_list_idx = 0

),

first_office as (

    select
        _dlt_parent_id,
        id as office_id
    from {{ source('greenhouse', 'jobs__offices') }}
    where _dlt_list_idx = 0

),
{%- else %}

-- v3 office_ids[] (dlt child table of scalars: the id is in `value`)
first_office as (

    select
        _dlt_parent_id,
        value as office_id
    from {{ source('greenhouse', 'jobs__office_ids') }}
    where _dlt_list_idx = 0

),
{%- endif %}

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
        cast(source.requisition_id as {{ dbt.type_string() }}) as requisition_id,
        lower(source.status) as status,
        cast(source.confidential as {{ dbt.type_boolean() }}) as is_confidential,
        {{ to_utc_timestamp('source.created_at') }} as created_at,
        {{ to_utc_timestamp('source.opened_at') }} as opened_at,
        {{ to_utc_timestamp('source.closed_at') }} as closed_at

    from source
    {% if api_version == 'v1' -%}
    left join first_department
        on source._dlt_id = first_department._dlt_parent_id
    {% endif -%}
    left join first_office
        on source._dlt_id = first_office._dlt_parent_id

)

select * from renamed
