{#
    The where-clause of every staging model that reads a merged raw table: rows the extract's
    deletion sweep marked (`_greenhouse_deleted_at`, a record Greenhouse no longer lists) are
    left out. A raw table without the column (never swept) keeps every row, and so does
    `--vars '{greenhouse_keep_deleted: true}'`: the marked rows stay in the raw tables either way.
#}

{% macro greenhouse_not_deleted(relation) -%}
    {%- set keep = var('greenhouse_keep_deleted', false) | string | trim | lower -%}
    {%- set columns = raw_columns(relation) -%}
    {%- if keep in ('true', '1', 'yes') or (columns is not none and '_greenhouse_deleted_at' not in columns) -%}
        1 = 1
    {%- else -%}
        _greenhouse_deleted_at is null
    {%- endif -%}
{%- endmacro %}
