{#
    The continuous percentile (linear interpolation between the two nearest values, as
    PostgreSQL's percentile_cont) of `expression` over the rows of the group, as an aggregate.
    `median(x)` is percentile_cont(x, 0.5): the mean of the two middle values of an even count.
    BigQuery has percentile_cont only as a window function: there it runs over the group's
    values gathered into an array (the group's array_agg, unnested in a scalar subquery), which
    gives the same exact, interpolated figure. (approx_quantiles is no substitute: it returns
    input values, so the median of 10 and 70 came out 70, not 40.)
#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'greenhouse')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro bigquery__percentile_cont(expression, fraction) -%}
    (
        select percentile_cont(group_value, {{ fraction }}) over ()
        from unnest(array_agg({{ expression }} ignore nulls)) as group_value
        limit 1
    )
{%- endmacro %}

{% macro median(expression) -%}
    {{ percentile_cont(expression, 0.5) }}
{%- endmacro %}
