{#
    Models land in exactly the schema they configure (greenhouse_staging, greenhouse_marts),
    not prefixed with the target schema as dbt does by default; models without one use the
    target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
