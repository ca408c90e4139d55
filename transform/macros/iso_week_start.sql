{#
    The Monday (ISO-8601 week start) of a timestamp's week, as a date. BigQuery's
    date_trunc(..., week) starts on Sunday; isoweek starts on Monday.
#}
{% macro iso_week_start(expression) -%}
    {{ return(adapter.dispatch('iso_week_start', 'greenhouse')(expression)) }}
{%- endmacro %}

{% macro default__iso_week_start(expression) -%}
    cast({{ dbt.date_trunc('week', expression) }} as date)
{%- endmacro %}

{% macro bigquery__iso_week_start(expression) -%}
    date_trunc(cast({{ expression }} as date), isoweek)
{%- endmacro %}
