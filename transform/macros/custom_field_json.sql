{#
    Reading custom field values out of the landed JSON, per warehouse (dlt lands JSON as JSON
    on DuckDB and BigQuery, jsonb on PostgreSQL, VARIANT on Snowflake, SUPER on Redshift,
    STRING on Databricks). dbt has no
    cross-database JSON macros, hence these. `keys` is the path below the column, e.g.
    ['salary', 'value', 'amount']; name keys are arbitrary text, so they are quoted.
#}

{#- The scalar at `keys` as text; null when absent or JSON null. -#}
{% macro custom_field_json_text(column, keys) -%}
    {{ return(adapter.dispatch('custom_field_json_text', 'greenhouse')(column, keys)) }}
{%- endmacro %}

{#- The JSON array at `keys` as one string, its elements joined by `delimiter` in order. -#}
{% macro custom_field_json_list(column, keys, delimiter) -%}
    {{ return(adapter.dispatch('custom_field_json_list', 'greenhouse')(column, keys, delimiter)) }}
{%- endmacro %}

{#- The warehouse's type of a landed JSON column (for the typed null of a missing one). -#}
{% macro custom_field_json_type() -%}
    {{ return(adapter.dispatch('custom_field_json_type', 'greenhouse')()) }}
{%- endmacro %}

{#- Text as a SQL string literal (dbt.string_literal does not escape quotes). -#}
{% macro custom_field_literal(text) -%}
    {{ return(adapter.dispatch('custom_field_literal', 'greenhouse')(text)) }}
{%- endmacro %}

{% macro default__custom_field_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro bigquery__custom_field_literal(text) -%}
    '{{ text | replace('\\', '\\\\') | replace("'", "\\'") }}'
{%- endmacro %}

{#- '$."a"."b"' (DuckDB, BigQuery JSONPath), as a SQL string literal. -#}
{% macro custom_field_json_path(keys) -%}
    {%- set parts = [] -%}
    {%- for key in keys -%}
        {%- do parts.append('"' ~ (key | replace('\\', '\\\\') | replace('"', '\\"')) ~ '"') -%}
    {%- endfor -%}
    {{ custom_field_literal('$.' ~ parts | join('.')) }}
{%- endmacro %}

{% macro default__custom_field_json_type() -%}
    json
{%- endmacro %}

{% macro postgres__custom_field_json_type() -%}
    jsonb
{%- endmacro %}

{% macro snowflake__custom_field_json_type() -%}
    variant
{%- endmacro %}

{% macro default__custom_field_json_text(column, keys) -%}
    json_extract_string({{ column }}, {{ custom_field_json_path(keys) }})
{%- endmacro %}

{% macro default__custom_field_json_list(column, keys, delimiter) -%}
    array_to_string(
        try_cast(json_extract({{ column }}, {{ custom_field_json_path(keys) }}) as varchar[]),
        {{ custom_field_literal(delimiter) }}
    )
{%- endmacro %}

{#- jsonb operators; cast first, since dlt lands json (not jsonb) from some file formats. -#}
{% macro postgres__custom_field_json_value(column, keys) -%}
    cast({{ column }} as jsonb)
    {%- for key in keys %} -> {{ custom_field_literal(key) }}{% endfor -%}
{%- endmacro %}

{% macro postgres__custom_field_json_text(column, keys) -%}
    ({{ postgres__custom_field_json_value(column, keys[:-1]) }}
    ->> {{ custom_field_literal(keys[-1]) }})
{%- endmacro %}

{% macro postgres__custom_field_json_list(column, keys, delimiter) -%}
    {%- set value = postgres__custom_field_json_value(column, keys) -%}
    case
        when jsonb_typeof({{ value }}) = 'array'
            then (
                select string_agg(elements.element, {{ custom_field_literal(delimiter) }}
                    order by elements.position)
                from jsonb_array_elements_text({{ value }})
                    with ordinality as elements (element, position)
            )
    end
{%- endmacro %}

{% macro snowflake__custom_field_json_value(column, keys) -%}
    {%- set ns = namespace(expression=column) -%}
    {%- for key in keys -%}
        {%- set ns.expression = 'get(' ~ ns.expression ~ ', '
            ~ custom_field_literal(key) ~ ')' -%}
    {%- endfor -%}
    {{ ns.expression }}
{%- endmacro %}

{% macro snowflake__custom_field_json_text(column, keys) -%}
    cast(strip_null_value({{ snowflake__custom_field_json_value(column, keys) }}) as varchar)
{%- endmacro %}

{% macro snowflake__custom_field_json_list(column, keys, delimiter) -%}
    array_to_string(
        as_array({{ snowflake__custom_field_json_value(column, keys) }}),
        {{ custom_field_literal(delimiter) }}
    )
{%- endmacro %}

{% macro bigquery__custom_field_json_text(column, keys) -%}
    json_value({{ column }}, {{ custom_field_json_path(keys) }})
{%- endmacro %}

{% macro bigquery__custom_field_json_list(column, keys, delimiter) -%}
    array_to_string(
        json_value_array({{ column }}, {{ custom_field_json_path(keys) }}),
        {{ custom_field_literal(delimiter) }}
    )
{%- endmacro %}

{#-
    Redshift: dlt's JSON column is SUPER. Its insert_values loader (the one without an S3
    staging bucket) inserts each object as a string literal, which Redshift keeps as a SUPER
    *string* (it parses only through JSON_PARSE); a COPY with SERIALIZETOJSON (staged loads)
    gives a SUPER object. Both are read as the same JSON text, then with Redshift's JSON text
    functions, whose keys are exact (SUPER navigation lower-cases attribute names unless
    enable_case_sensitive_super_attribute is on). Invalid JSON reads as null.
    (Redshift inherits the postgres__ macros above, whose jsonb it does not have.)
-#}
{% macro redshift__custom_field_json_type() -%}
    super
{%- endmacro %}

{% macro redshift__custom_field_json_document(column) -%}
    case
        when is_varchar({{ column }}) then cast({{ column }} as varchar(65535))
        else json_serialize({{ column }})
    end
{%- endmacro %}

{% macro redshift__custom_field_json_at(column, keys) -%}
    json_extract_path_text(
        {{ redshift__custom_field_json_document(column) }},
        {%- for key in keys %} {{ custom_field_literal(key) }},{% endfor %} true
    )
{%- endmacro %}

{% macro redshift__custom_field_json_text(column, keys) -%}
    {{ redshift__custom_field_json_at(column, keys) }}
{%- endmacro %}

{#-
    Redshift cannot unnest an array inside a scalar expression (no correlated array subquery):
    the elements are read by position, up to `limit`; a longer list ends in '; …' (more
    options than that selected on one record), so a cut never passes unseen.
-#}
{% macro redshift__custom_field_json_list(column, keys, delimiter, limit=25) -%}
    {%- set array = redshift__custom_field_json_at(column, keys) -%}
    {%- set length = 'json_array_length(' ~ array ~ ', true)' -%}
    case
        when {{ length }} is not null then
        {%- for position in range(limit) %}
            {% if not loop.first %}|| {% endif -%}
            case
                when {{ length }} > {{ position }}
                    then {% if not loop.first %}{{ custom_field_literal(delimiter) }} || {% endif -%}
                    coalesce(json_extract_array_element_text({{ array }}, {{ position }}, true), '')
                else ''
            end
        {%- endfor %}
            || case when {{ length }} > {{ limit }} then {{ custom_field_literal(delimiter ~ '…') }} else '' end
    end
{%- endmacro %}

{#-
    Databricks: dlt lands JSON as a STRING of JSON text. get_json_object takes a JSONPath whose
    keys are written ['key'] (a key holding `']` cannot be addressed; Greenhouse name keys are
    identifiers); JSON null and a missing key read as null. String literals take backslash
    escapes there, as on BigQuery.
-#}
{% macro databricks__custom_field_json_type() -%}
    string
{%- endmacro %}

{% macro databricks__custom_field_literal(text) -%}
    '{{ text | replace('\\', '\\\\') | replace("'", "\\'") }}'
{%- endmacro %}

{% macro databricks__custom_field_json_path(keys) -%}
    {%- set parts = [] -%}
    {%- for key in keys -%}
        {%- do parts.append("['" ~ key ~ "']") -%}
    {%- endfor -%}
    {{ custom_field_literal('$' ~ parts | join('')) }}
{%- endmacro %}

{% macro databricks__custom_field_json_text(column, keys) -%}
    get_json_object({{ column }}, {{ databricks__custom_field_json_path(keys) }})
{%- endmacro %}

{#- from_json keeps a number or boolean element as its JSON text; a non-array gives null -#}
{% macro databricks__custom_field_json_list(column, keys, delimiter) -%}
    array_join(
        from_json(
            get_json_object({{ column }}, {{ databricks__custom_field_json_path(keys) }}),
            'array<string>'
        ),
        {{ custom_field_literal(delimiter) }}
    )
{%- endmacro %}
