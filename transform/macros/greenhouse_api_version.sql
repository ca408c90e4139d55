{#
    Which Harvest API version landed the raw tables: 'v3' (default) or 'v1'.
    var('greenhouse_api_version') defaults to env GREENHOUSE_API_VERSION (dbt_project.yml).
#}
{% macro greenhouse_api_version() -%}
    {%- set version = var('greenhouse_api_version', 'v3') | string | trim | lower -%}
    {%- if version not in ('v1', 'v3') -%}
        {{ exceptions.raise_compiler_error(
            "greenhouse_api_version must be 'v1' or 'v3', got '" ~ version
            ~ "' (set GREENHOUSE_API_VERSION or --vars '{greenhouse_api_version: v3}')"
        ) }}
    {%- endif -%}
    {{ return(version) }}
{%- endmacro %}
