{#
    dlt does not index _dlt_parent_id on child tables. Where the destination uses indexes
    (PostgreSQL) a staging model that joins a child table back to its parent creates one
    first, as a pre-hook; other adapters, and child tables dlt never created, render nothing.
#}
{% macro index_parent_id(relation) -%}
    {{ return(adapter.dispatch('index_parent_id', 'greenhouse')(relation)) }}
{%- endmacro %}

{% macro default__index_parent_id(relation) -%}
{%- endmacro %}

{% macro postgres__index_parent_id(relation) -%}
    {%- if load_relation(relation) is not none -%}
    create index if not exists {{ relation.identifier }}__dlt_parent_id_idx
    on {{ relation }} (_dlt_parent_id)
    {%- endif -%}
{%- endmacro %}

{#- Redshift (which inherits the postgres__ macro) has no indexes: sort and distribution keys -#}
{% macro redshift__index_parent_id(relation) -%}
{%- endmacro %}
