{#
    A raw column whose name is a reserved word on some warehouse (v3 application_stages.current
    is reserved on Snowflake and BigQuery), quoted the way dlt created it: upper case on
    Snowflake (dlt's case-insensitive naming there), as landed elsewhere.
#}
{% macro quoted_column(name) -%}
    {{ return(adapter.dispatch('quoted_column', 'greenhouse')(name)) }}
{%- endmacro %}

{% macro default__quoted_column(name) -%}
    {{ adapter.quote(name) }}
{%- endmacro %}

{% macro snowflake__quoted_column(name) -%}
    "{{ name | upper }}"
{%- endmacro %}
