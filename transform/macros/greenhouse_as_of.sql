{#
    "Now" for durations still running (an opening still open): var greenhouse_as_of, default
    env GREENHOUSE_AS_OF, as a UTC timestamp `YYYY-MM-DD HH:MM:SS`; when unset, the time the
    dbt invocation started (run_started_at, UTC). Set it to make a build reproducible.
#}
{% macro greenhouse_as_of() -%}
    {%- set value = var('greenhouse_as_of', env_var('GREENHOUSE_AS_OF', '')) | string | trim -%}
    {%- if not value -%}
        {%- set value = run_started_at.strftime('%Y-%m-%d %H:%M:%S') -%}
    {%- elif not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}', value) -%}
        {%- do exceptions.raise_compiler_error(
            "GREENHOUSE_AS_OF (var greenhouse_as_of) must be a UTC timestamp"
            ~ " 'YYYY-MM-DD HH:MM:SS', got '" ~ value ~ "'"
        ) -%}
    {%- endif -%}
    cast('{{ value }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
