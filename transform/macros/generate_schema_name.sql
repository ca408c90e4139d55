{#
    Models land in exactly the schema they configure (greenhouse_staging, greenhouse_marts),
    not prefixed with the target schema as dbt does by default; models without one use the
    target schema. Either way behind the environment's prefix, if any (greenhouse_schema).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ greenhouse_schema(target.schema) }}
    {%- else -%}
        {{ greenhouse_schema(custom_schema_name) }}
    {%- endif -%}
{%- endmacro %}
