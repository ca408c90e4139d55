{#
    Several Greenhouse accounts in one warehouse (docs/transform.md, "Several accounts"). Each
    account is extracted into its own raw schema; GREENHOUSE_RAW_SCHEMAS (comma-separated raw
    schema names, in the order the marts list them) names the ones to build on. Unset or blank:
    the one GREENHOUSE_RAW_SCHEMA, as the extract writes it. Every staging model is the union of
    its SQL rendered once per account, with `source_relation` = the raw schema name (without the
    GREENHOUSE_SCHEMA_PREFIX, so that dev and prod builds carry the same values); everything
    downstream joins and groups on it.
#}

{#- The raw schema names (unprefixed), validated; the first is the sources file's schema. -#}
{% macro greenhouse_accounts() -%}
    {%- set listed = env_var('GREENHOUSE_RAW_SCHEMAS', '') -%}
    {%- if not listed.strip() -%}
        {{ return([env_var('GREENHOUSE_RAW_SCHEMA', 'greenhouse_raw') | trim]) }}
    {%- endif -%}
    {%- set names = listed.split(',') | map('trim') | select | list -%}
    {%- if not names -%}
        {{ exceptions.raise_compiler_error(
            "GREENHOUSE_RAW_SCHEMAS lists no schema (got '" ~ listed ~ "'): give comma-separated"
            ~ " raw schema names, e.g. greenhouse_raw_us,greenhouse_raw_eu, or leave it unset"
        ) }}
    {%- endif -%}
    {%- for name in names -%}
        {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', name) -%}
            {{ exceptions.raise_compiler_error(
                "GREENHOUSE_RAW_SCHEMAS: '" ~ name ~ "' is not a raw schema name (lower-case"
                ~ " letters, digits and underscores, as the extract's GREENHOUSE_RAW_SCHEMA)"
            ) }}
        {%- endif -%}
        {%- if names.count(name) > 1 -%}
            {{ exceptions.raise_compiler_error(
                "GREENHOUSE_RAW_SCHEMAS lists '" ~ name ~ "' twice: each account once"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#-
    A raw table of one account: the declared source for the sources file's schema (lineage,
    freshness and unit-test fixtures go through it), the same table in the account's schema
    otherwise.
-#}
{% macro greenhouse_source(table, account) -%}
    {%- set declared = source('greenhouse', table) -%}
    {%- set schema = greenhouse_schema(account) -%}
    {%- if declared.schema == schema -%}
        {{ return(declared) }}
    {%- endif -%}
    {{ return(declared.incorporate(path={'schema': schema})) }}
{%- endmacro %}

{#-
    The pre-hooks of a v1 staging model that joins child tables back to their parents: one
    index_parent_id per child table and account, each rendered when the hook runs.
-#}
{% macro index_parent_hooks(tables) -%}
    {%- set hooks = [] -%}
    {%- for account in greenhouse_accounts() -%}
        {%- for table in tables -%}
            {%- do hooks.append(
                "{{ index_parent_id(greenhouse_source('" ~ table ~ "', '" ~ account ~ "')) }}"
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(hooks) }}
{%- endmacro %}

{#-
    A staging model is the union of its body rendered once per account:

        {%- for account in greenhouse_accounts() %}
        {{ account_rows_begin(account, loop.first) }}
            with ... greenhouse_source('jobs', account) ... select * from renamed
        {{ account_rows_end() }}
        {%- endfor %}

    Each body sees only its own account's raw tables (columns and child tables are looked up
    per account), and every row gets the account's `source_relation`. (A plain loop rather
    than a `{% call %}` block: sqlfluff's dbt templater traces a loop's body back to the file,
    so the bodies stay linted.)
-#}
{% macro account_rows_begin(account, first) -%}
{%- if not first %}

union all

{% endif -%}
select
    cast('{{ account }}' as {{ dbt.type_string() }}) as source_relation,
    account_rows.*
from (
{%- endmacro %}

{% macro account_rows_end() -%}
) as account_rows
{%- endmacro %}
