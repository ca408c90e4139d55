{#
    dlt creates a raw column only once a non-null value arrives, and a child table only once a
    list has an element: a small or young v1 account may have no closed job, no sent offer, no
    job with an office. The extract declares every documented v3 column; for the optional v1
    columns and the child tables the staging models ask the warehouse what exists and read a
    typed null (or an empty set) for what does not.

    Introspection needs a connection; `--vars '{greenhouse_introspect: false}'` or env
    GREENHOUSE_INTROSPECT=false (offline compile, lint) assumes every column and table exists.
#}

{% macro greenhouse_introspect() -%}
    {%- set setting = var('greenhouse_introspect', env_var('GREENHOUSE_INTROSPECT', 'true')) -%}
    {{ return(execute and (setting | string | lower) not in ('false', '0', 'no')) }}
{%- endmacro %}

{#- Lower-cased column names of a raw table ([] if it does not exist); none = assume all exist. -#}
{% macro raw_columns(relation) -%}
    {%- if not greenhouse_introspect() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = load_relation(relation) -%}
    {%- if found is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(found) -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- The column if the raw table has it, else a typed null. -#}
{% macro raw_column(columns, name, data_type, qualifier=none) -%}
    {%- if columns is none or name in columns -%}
        {{ qualifier ~ '.' if qualifier else '' }}{{ name }}
    {%- else -%}
        cast(null as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{#- Whether a raw table exists (true when introspection is off). -#}
{% macro raw_table_exists(relation) -%}
    {%- if not greenhouse_introspect() -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(load_relation(relation) is not none) }}
{%- endmacro %}

{#-
    The first element of a nested list, from its dlt child table: (_dlt_parent_id, <alias>)
    for list index 0, joined back to the parent by an equi-join on the parent's _dlt_id (linear
    on every destination). An empty set while dlt has created no child table.
-#}
{% macro first_list_element(relation, column, alias) -%}
    {%- if raw_table_exists(relation) -%}
        select
            _dlt_parent_id,
            {{ column }} as {{ alias }}
        from {{ relation }}
        where _dlt_list_idx = 0
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as _dlt_parent_id,
            cast(null as {{ dbt.type_bigint() }}) as {{ alias }}
        where 1 = 0
    {%- endif -%}
{%- endmacro %}

{#-
    For the small reference tables offices and sources a missing raw table - the
    credentials may lack that endpoint's scope (extract --skip-forbidden) - gives an empty
    staging model and a warning instead of failing the build; names then stay null.
-#}
{% macro warn_missing_raw_table(relation) -%}
    {%- if not raw_table_exists(relation) -%}
        {%- do exceptions.warn(
            "raw table " ~ relation ~ " does not exist (endpoint not extracted?):"
            ~ " " ~ this.identifier ~ " is empty"
        ) -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(true) }}
{%- endmacro %}
