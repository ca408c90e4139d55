{#
    The schema a name gets in this environment: `<prefix>_<name>` when GREENHOUSE_SCHEMA_PREFIX
    is set (dev_alice -> dev_alice_greenhouse_marts), else the name itself (production). The
    extract stage prefixes the raw dataset with the same variable and the same rule
    (extract/settings.py, raw_dataset). dbt renders the sources file without project macros, so
    `_greenhouse__sources.yml` writes the rule inline; a bad prefix still stops the parse here,
    since every model's schema goes through this macro.
#}
{% macro greenhouse_schema(name) -%}
    {%- set prefix = env_var('GREENHOUSE_SCHEMA_PREFIX', '') -%}
    {%- if prefix and not modules.re.fullmatch('[a-z][a-z0-9]*(_[a-z0-9]+)*', prefix) -%}
        {{ exceptions.raise_compiler_error(
            "GREENHOUSE_SCHEMA_PREFIX must be lower-case letters and digits joined by single "
            ~ "underscores, starting with a letter, e.g. dev_alice (got '" ~ prefix ~ "')"
        ) }}
    {%- endif -%}
    {{ return([prefix, name | trim] | select | join('_')) }}
{%- endmacro %}
