{#
    Custom fields as typed columns (docs/transform.md, "Custom fields"). The custom field
    dictionary (stg_greenhouse__custom_fields) is read while a `<entity>_custom_fields` mart
    compiles (run_query, execute mode only), and gives one or more columns per selected field:

        var greenhouse_custom_fields           false: no custom columns at all (default true)
        var greenhouse_custom_fields_include   ['candidate.skills', ...]: only these fields
        var greenhouse_custom_fields_exclude   ['offer.notes', ...]: every selected field but these
        var greenhouse_custom_fields_dictionary  the dictionary itself, instead of reading it
                                               (offline compiles): [{custom_field_id, field_type,
                                               name_key, value_type, is_active}, ...], each
                                               with its source_relation (missing: the first
                                               account's)

    Default: every active field. Entries are `<field_type>.<name_key>`, name_key as in Greenhouse.

    Several accounts (macros/greenhouse_accounts.sql): the dictionary holds each account's
    fields, and a custom_field_id means a field only within its account. The columns are decided
    over the union: a field is (field_type, name_key), as the values are keyed by name_key, and
    gets one column (set) whatever the accounts that have it. The first account, in
    greenhouse_accounts() (GREENHOUSE_RAW_SCHEMAS) order, that has the field gives its value
    type (the other accounts' values are cast to it: one that does not cast is null) and its
    custom_field_id (the field's place in the naming order and its clash suffix); the field is
    active when it is active in any account. Naming order: by that first account, then by that
    id; with one account, custom field id order. Listing a new account last therefore never
    renames a column of the accounts before it. Each mart row is one record of one account
    (key: source_relation and the entity's key), with its own account's values.
#}

{#- The entities (custom field `field_type`s) that have a `<entity>_custom_fields` mart. -#}
{% macro custom_field_entities() -%}
    {{ return(['application', 'candidate', 'job', 'offer', 'opening']) }}
{%- endmacro %}

{#- Columns per value type: (suffix, path below `value` (first present wins), SQL kind). -#}
{% macro custom_field_shape(value_type) -%}
    {%- set amount = ['amount', 'value'] -%}
    {%- set unit = ['unit', 'currency'] -%}
    {%- set shapes = {
        'yes_no': [('', [], 'boolean')],
        'number': [('', [], 'number')],
        'date': [('', [], 'date')],
        'multi_select': [('', [], 'list')],
        'user': [('', ['user_id', 'id'], 'bigint')],
        'currency': [('_amount', amount, 'number'), ('_unit', unit, 'text')],
        'currency_range': [
            ('_min_amount', ['min_value'], 'number'),
            ('_max_amount', ['max_value'], 'number'),
            ('_unit', unit, 'text'),
        ],
        'number_range': [('_min', ['min_value'], 'number'), ('_max', ['max_value'], 'number')],
    } -%}
    {#- short_text, long_text, url, single_select (the option's name) and anything new: text -#}
    {{ return(shapes.get(value_type, [('', [], 'text')])) }}
{%- endmacro %}

{#-
    custom_<name_key> made a safe identifier: lower case, runs of anything but [a-z0-9] -> '_'.
    A key without an ASCII letter (給与, 2025) would lose its meaning that way: named after the
    field's id instead, custom_field_<custom_field_id>.
-#}
{% macro custom_field_base_name(name_key, custom_field_id) -%}
    {%- set lower = (name_key or '') | lower -%}
    {%- if not modules.re.search('[a-z]', lower) -%}
        {{ return('custom_field_' ~ custom_field_id) }}
    {%- endif -%}
    {%- set safe = modules.re.sub('[^a-z0-9]+', '_', lower) | trim('_') -%}
    {{ return('custom_' ~ (safe[:32] | trim('_'))) }}
{%- endmacro %}

{#- A list var: a list, or a comma-separated string (from the command line). -#}
{% macro custom_field_list_var(name) -%}
    {%- set value = var(name, []) -%}
    {%- if value is string -%}
        {%- set value = value.split(',') | map('trim') | select | list -%}
    {%- endif -%}
    {%- if value is not iterable or value is mapping -%}
        {%- do exceptions.raise_compiler_error(
            name ~ " must be a list of '<field_type>.<name_key>', e.g. "
            ~ "--vars '{" ~ name ~ ": [candidate.skills]}'"
        ) -%}
    {%- endif -%}
    {%- for entry in value -%}
        {%- if entry is not string or entry.split('.')[0] not in custom_field_entities()
            or '.' not in entry -%}
            {%- do exceptions.raise_compiler_error(
                name ~ ": '" ~ entry ~ "' is not '<field_type>.<name_key>' with field_type one"
                ~ " of " ~ custom_field_entities() | join(', ') ~ " (e.g. candidate.skills)"
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(value | list) }}
{%- endmacro %}

{#-
    The dictionary rows as dicts, each with `account_rank` (its source_relation's place in
    greenhouse_accounts(); an account not listed there comes after them), in account, then
    custom field id order; [] at parse time, with introspection off, or before it exists.
-#}
{% macro custom_field_dictionary() -%}
    {%- set relation = ref('stg_greenhouse__custom_fields') -%}
    {%- set accounts = greenhouse_accounts() -%}
    {%- set pinned = var('greenhouse_custom_fields_dictionary', none) -%}
    {%- set rows = [] -%}
    {%- if pinned is not none -%}
        {%- for field in pinned -%}
            {%- do rows.append({
                'source_relation': field.get('source_relation') or accounts[0],
                'custom_field_id': field.custom_field_id | int,
                'field_type': field.field_type,
                'name_key': field.get('name_key'),
                'value_type': field.value_type,
                'is_active': field.is_active in (true, 'true', 1),
            }) -%}
        {%- endfor -%}
    {%- elif greenhouse_introspect() and load_relation(relation) is not none -%}
        {%- set result = run_query(
            "select source_relation, custom_field_id, field_type, name_key, value_type,"
            ~ " is_active from " ~ relation ~ " order by source_relation, custom_field_id"
        ) -%}
        {%- for row in result.rows -%}
            {%- do rows.append({
                'source_relation': row[0],
                'custom_field_id': row[1] | int,
                'field_type': row[2],
                'name_key': row[3],
                'value_type': row[4],
                'is_active': row[5] in (true, 'true', 1),
            }) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for row in rows -%}
        {%- do row.update({
            'account_rank': accounts.index(row.source_relation)
                if row.source_relation in accounts else accounts | length,
        }) -%}
    {%- endfor -%}
    {{ return(rows | sort(attribute='account_rank,source_relation,custom_field_id') | list) }}
{%- endmacro %}

{#-
    The fields of one entity over every account: one per name_key, [{custom_field_id, name_key,
    value_type, is_active}] in naming order (the rule in this file's header). A field whose
    name_key is null or empty has no key its values could be read by (and '' is no JSON path on
    DuckDB or BigQuery): it is left out, with a warning naming it.
-#}
{% macro custom_field_union(field_type) -%}
    {%- set fields = [] -%}
    {%- set by_name_key = {} -%}
    {%- for row in custom_field_dictionary() | selectattr('field_type', 'equalto', field_type) -%}
        {%- if row.name_key is none or row.name_key == '' -%}
            {%- do exceptions.warn(
                "custom field " ~ row.custom_field_id ~ " (" ~ field_type ~ ", account "
                ~ row.source_relation ~ ") has " ~ ('no name_key' if row.name_key is none
                else "an empty name_key ''") ~ ": it gets no column in " ~ field_type
                ~ "_custom_fields (its values cannot be addressed)"
            ) -%}
        {%- elif row.name_key not in by_name_key -%}
            {%- set field = {
                'custom_field_id': row.custom_field_id,
                'name_key': row.name_key,
                'value_type': row.value_type,
                'is_active': row.is_active,
            } -%}
            {%- do by_name_key.update({row.name_key: field}) -%}
            {%- do fields.append(field) -%}
        {%- elif row.is_active -%}
            {%- do by_name_key[row.name_key].update({'is_active': true}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(fields) }}
{%- endmacro %}

{#-
    The columns of one entity's custom fields: [{name, key, path, kind}], in naming order
    (custom_field_union). Names are decided over the entity's whole dictionary, every account
    (selected or not, so that a selection never renames a column): a field whose columns would
    repeat a name already taken (by a field earlier in that order, or the key column) gets
    `_<custom_field_id>` after its base name.
-#}
{% macro custom_field_columns(field_type, key_column) -%}
    {%- set enabled = var('greenhouse_custom_fields', true) | string | lower -%}
    {%- if enabled not in ('true', 'false', '1', '0', 'yes', 'no') -%}
        {%- do exceptions.raise_compiler_error(
            "greenhouse_custom_fields must be true or false, got '" ~ enabled ~ "'"
        ) -%}
    {%- endif -%}
    {%- set include = custom_field_list_var('greenhouse_custom_fields_include') -%}
    {%- set exclude = custom_field_list_var('greenhouse_custom_fields_exclude') -%}
    {%- if enabled in ('false', '0', 'no') -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set fields = custom_field_union(field_type) -%}
    {%- set known = [] -%}
    {%- for field in fields -%}
        {%- do known.append(field_type ~ '.' ~ field.name_key) -%}
    {%- endfor -%}
    {%- for entry in include + exclude -%}
        {%- if fields and entry.startswith(field_type ~ '.') and entry not in known -%}
            {%- do exceptions.raise_compiler_error(
                "no custom field '" ~ entry ~ "' in the dictionary (greenhouse_custom_fields_"
                ~ ('include' if entry in include else 'exclude') ~ "); " ~ field_type
                ~ " fields: " ~ known | join(', ')
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set taken = [key_column] -%}
    {%- set columns = [] -%}
    {%- for field in fields -%}
        {%- set shape = custom_field_shape(field.value_type) -%}
        {%- set ns = namespace(
            base=custom_field_base_name(field.name_key, field.custom_field_id), clash=false
        ) -%}
        {%- for attempt in range(3) -%}
            {%- for suffix, path, kind in shape -%}
                {%- if ns.base ~ suffix in taken -%}
                    {%- set ns.clash = true -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if ns.clash -%}
                {%- set ns.base = ns.base ~ '_' ~ field.custom_field_id -%}
                {%- set ns.clash = false -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set entry = field_type ~ '.' ~ field.name_key -%}
        {%- set selected = (entry in include if include else field.is_active)
            and entry not in exclude -%}
        {%- for suffix, path, kind in shape -%}
            {%- do taken.append(ns.base ~ suffix) -%}
            {%- if selected -%}
                {%- do columns.append({
                    'name': ns.base ~ suffix, 'key': field.name_key, 'path': path, 'kind': kind,
                }) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- One typed column from the JSON object {name_key: {name, type, value}}; '' is null. -#}
{% macro custom_field_expression(json_column, column) -%}
    {%- set value = [column.key, 'value'] -%}
    {%- if column.kind == 'list' -%}
        nullif({{ custom_field_json_list(json_column, value, '; ') }}, '')
    {%- else -%}
        {%- set texts = [] -%}
        {%- for key in column.path or [none] -%}
            {%- do texts.append(
                'nullif(' ~ custom_field_json_text(json_column, value + ([key] if key else []))
                ~ ", '')"
            ) -%}
        {%- endfor -%}
        {%- set text = texts[0] if texts | length == 1 else 'coalesce(' ~ texts | join(', ') ~ ')' -%}
        {%- set types = {
            'text': dbt.type_string(),
            'number': dbt.type_numeric(),
            'bigint': dbt.type_bigint(),
            'boolean': dbt.type_boolean(),
            'date': 'date',
        } -%}
        {%- if column.kind == 'text' -%}
            {{ text }}
        {%- else -%}
            {{ dbt.safe_cast(text, types[column.kind]) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#-
    A `<entity>_custom_fields` mart: one row per row of the entity's mart (`mart`, keyed by
    source_relation and `key_column`), with the typed custom columns of its record (the values
    of its own account).
-#}
{% macro custom_fields_mart(field_type, mart, key_column) -%}
    {%- set columns = custom_field_columns(field_type, key_column) %}

with

entities as (

    select
        source_relation,
        {{ key_column }}
    from {{ ref(mart) }}

),

custom_field_values as (

    select
        source_relation,
        entity_id,
        custom_fields
    from {{ ref('stg_greenhouse__custom_field_values') }}
    where field_type = '{{ field_type }}'

),

final as (

    select
        entities.source_relation,
        entities.{{ key_column }}
        {%- for column in columns %},
        {{ custom_field_expression('custom_field_values.custom_fields', column) }}
            as {{ column.name }}
        {%- endfor %}

    from entities
    left join custom_field_values
        on
            entities.source_relation = custom_field_values.source_relation
            and entities.{{ key_column }} = custom_field_values.entity_id

)

select * from final
{%- endmacro %}

{#-
    One branch of stg_greenhouse__custom_field_values: the ids and JSON column of one entity's
    raw table in one account. v3: `<table>.custom_fields`; v1: `keyed_custom_fields` (it
    carries the value type), openings from the child table jobs__openings. Missing: an empty set.
-#}
{% macro custom_field_values_of(field_type, table, account) -%}
    {%- set v1 = greenhouse_api_version() == 'v1' -%}
    {%- set json_column = 'keyed_custom_fields' if v1 else 'custom_fields' -%}
    {%- set table = 'jobs__openings' if v1 and table == 'openings' else table -%}
    {%- set relation = greenhouse_source(table, account) -%}
    {%- set columns = raw_columns(relation) -%}
    {%- if raw_table_exists(relation) and (columns is none or json_column in columns) -%}
    select
        cast('{{ field_type }}' as {{ dbt.type_string() }}) as field_type,
        cast(id as {{ dbt.type_bigint() }}) as entity_id,
        {{ json_column }} as custom_fields
    from {{ relation }}
    {%- else -%}
    select
        cast('{{ field_type }}' as {{ dbt.type_string() }}) as field_type,
        cast(null as {{ dbt.type_bigint() }}) as entity_id,
        cast(null as {{ custom_field_json_type() }}) as custom_fields
    where 1 = 0
    {%- endif -%}
{%- endmacro %}
