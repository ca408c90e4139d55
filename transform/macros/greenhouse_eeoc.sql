{#
    Whether the EEOC models are built: var('greenhouse_eeoc'), which defaults to whether
    GREENHOUSE_RESOURCES names the opt-in `eeoc` endpoint (dbt_project.yml). Off, the EEOC
    staging model and the diversity mart are disabled and nothing else reads them.
#}
{% macro greenhouse_eeoc_enabled() -%}
    {{ return((var('greenhouse_eeoc', false) | string | trim | lower) in ('true', '1', 'yes')) }}
{%- endmacro %}

{#- The smallest number of applications a diversity cell may show (a positive whole number). -#}
{% macro greenhouse_diversity_min_cell() -%}
    {%- set value = var('greenhouse_diversity_min_cell', 5) | string | trim -%}
    {%- if not value.isdigit() or value | int < 1 -%}
        {{ exceptions.raise_compiler_error(
            "greenhouse_diversity_min_cell must be a whole number of at least 1, got '" ~ value
            ~ "' (pass --vars '{greenhouse_diversity_min_cell: 5}')"
        ) }}
    {%- endif -%}
    {{ return(value | int) }}
{%- endmacro %}
