{#-
    The marts' decimal columns, one rule for all: numeric(28, 6), rounded in the warehouse.

    ratio(n, d, places=4): n / d rounded to `places` decimals; null for a zero or null d (rates
    and shares, averages of a sum over a count). The numerator is cast before dividing, so two
    integers never divide as integers.
    rounded(x, places=2): x rounded to `places` decimals (medians and percentiles of days).
-#}
{% macro ratio(numerator, denominator, places=4) -%}
    cast(
        case
            when coalesce({{ denominator }}, 0) = 0 then null
            else round(cast({{ numerator }} as numeric(28, 6)) / {{ denominator }}, {{ places }})
        end as numeric(28, 6)
    )
{%- endmacro %}

{% macro rounded(expression, places=2) -%}
    cast(round(cast({{ expression }} as numeric(28, 6)), {{ places }}) as numeric(28, 6))
{%- endmacro %}
