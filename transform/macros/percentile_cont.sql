{#
    The continuous percentile (linear interpolation between the two nearest values, as
    PostgreSQL's percentile_cont) of `expression` over the rows of the group, as an aggregate.
    `median(x)` is percentile_cont(x, 0.5): the mean of the two middle values of an even count.
    BigQuery has percentile_cont only as a window function; its aggregate approx_quantiles with
    1000 buckets is used there (within 0.1% of the rank, not exact).
#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'greenhouse')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro bigquery__percentile_cont(expression, fraction) -%}
    approx_quantiles({{ expression }}, 1000)[offset({{ (fraction * 1000) | round | int }})]
{%- endmacro %}

{% macro median(expression) -%}
    {{ percentile_cont(expression, 0.5) }}
{%- endmacro %}
