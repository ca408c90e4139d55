{#
    Small-cell suppression of the diversity mart, over `cells` (a CTE with the columns in
    `group_by`, `value_rank`, `cell_size` and `is_primary`): selects every column plus
    `is_suppressed`. Within each group the primary cells (`is_primary`: fewer than the minimum,
    or forced) are hidden; then, while fewer than two cells are hidden or the hidden cells hold
    fewer than `min_cell` applications together, the next smallest visible cell is hidden too
    (ties by value_rank). So the group's "suppressed" row never equals one cell and never shows
    a number below the minimum, and no hidden cell can be worked out from the total.
#}
{% macro suppress_small_cells(cells, group_by, min_cell) -%}
    {%- set partition = group_by | join(', ') -%}
    select
        ranked.*,
        (
            ranked.primary_cells > 0
            and (
                ranked.cell_rank <= ranked.primary_cells
                or ranked.cell_rank <= 2
                or ranked.smaller_total < {{ min_cell }}
            )
        ) as is_suppressed
    from (
        select
            {{ cells }}.*,
            sum(case when {{ cells }}.is_primary then 1 else 0 end) over (
                partition by {{ partition }}
            ) as primary_cells,
            row_number() over (
                partition by {{ partition }}
                order by
                    case when {{ cells }}.is_primary then 0 else 1 end,
                    {{ cells }}.cell_size,
                    {{ cells }}.value_rank
            ) as cell_rank,
            coalesce(sum({{ cells }}.cell_size) over (
                partition by {{ partition }}
                order by
                    case when {{ cells }}.is_primary then 0 else 1 end,
                    {{ cells }}.cell_size,
                    {{ cells }}.value_rank
                rows between unbounded preceding and 1 preceding
            ), 0) as smaller_total
        from {{ cells }}
    ) as ranked
{%- endmacro %}
