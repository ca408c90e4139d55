{#
    A landed timestamp (dlt: timestamp with time zone, or an ISO-8601 string) as a UTC
    timestamp without time zone, independent of the session time zone.
#}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'greenhouse')(column)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column) -%}
    cast({{ column }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro postgres__to_utc_timestamp(column) -%}
    (cast({{ column }} as timestamptz) at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(column) -%}
    timezone('UTC', cast({{ column }} as timestamptz))
{%- endmacro %}

{% macro snowflake__to_utc_timestamp(column) -%}
    cast(convert_timezone('UTC', cast({{ column }} as timestamp_tz)) as timestamp_ntz)
{%- endmacro %}
