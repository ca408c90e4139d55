{#- numerator / denominator rounded to 4 decimals as numeric(28,6); null for a zero denominator. -#}
{% macro pipeline_rate(numerator, denominator) -%}
    cast(
        case
            when coalesce({{ denominator }}, 0) = 0 then null
            else round(cast({{ numerator }} as numeric(28, 6)) / {{ denominator }}, 4)
        end as numeric(28, 6)
    )
{%- endmacro %}
