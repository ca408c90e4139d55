{#- One row per department (same fields in v3 and v1). -#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set columns = raw_columns(greenhouse_source('departments', account)) -%}

    with

    source as (

        select * from {{ greenhouse_source('departments', account) }}

    ),

    renamed as (

        select
            cast(id as {{ dbt.type_bigint() }}) as department_id,
            cast(
                {{ raw_column(columns, 'parent_id', dbt.type_bigint()) }} as {{ dbt.type_bigint() }}
            ) as parent_department_id,
            cast(name as {{ dbt.type_string() }}) as department_name

        from source

    )

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
