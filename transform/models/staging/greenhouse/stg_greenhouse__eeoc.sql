{#-
    One row per EEOC response (at most one per application), v3 and v1 alike: the four
    self-identification answers as their id and their canonical value, the answer text in
    lower case and trimmed (null when the question was skipped). v1 rows have no id of their
    own (eeoc_id null) and name the veteran answer `message` instead of `description`.
    Built only when EEOC is enabled (macros/greenhouse_eeoc.sql).
-#}
{{ config(enabled=greenhouse_eeoc_enabled()) }}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    {%- set v1 = greenhouse_api_version() == 'v1' %}
    {%- if not raw_table_exists(greenhouse_source('eeoc', account)) %}
        {{ exceptions.raise_compiler_error(
            "EEOC is enabled (GREENHOUSE_RESOURCES names eeoc, or var greenhouse_eeoc) but the raw"
            ~ " table " ~ greenhouse_source('eeoc', account) ~ " does not exist: extract it first"
            ~ " (elt extract --resources ...,eeoc) or leave eeoc out"
        ) }}
    {%- endif %}
    {%- set columns = raw_columns(greenhouse_source('eeoc', account)) %}
    {%- set answers = {
        'gender': 'description',
        'race': 'description',
        'veteran_status': 'message' if v1 else 'description',
        'disability_status': 'description',
    } %}

    with

    source as (

        select * from {{ greenhouse_source('eeoc', account) }}

    ),

    renamed as (

        select
            {%- if v1 %}
            cast(null as {{ dbt.type_bigint() }}) as eeoc_id,
            {%- else %}
            cast(id as {{ dbt.type_bigint() }}) as eeoc_id,
            {%- endif %}
            cast(application_id as {{ dbt.type_bigint() }}) as application_id,
            cast(candidate_id as {{ dbt.type_bigint() }}) as candidate_id,
            {%- for answer, text in answers.items() %}
            cast(
                {{ raw_column(columns, answer ~ '__id', dbt.type_bigint()) }}
                as {{ dbt.type_bigint() }}
            ) as {{ answer }}_answer_id,
            {%- endfor %}
            {%- for answer, text in answers.items() %}
            nullif(
                lower(trim(cast(
                    {{ raw_column(columns, answer ~ '__' ~ text, dbt.type_string()) }}
                    as {{ dbt.type_string() }}
                ))),
                ''
            ) as {{ answer }},
            {%- endfor %}
            {{ to_utc_timestamp(raw_column(columns, 'submitted_at', dbt.type_timestamp())) }}
                as submitted_at

        from source

    )

    select * from renamed
{{ account_rows_end() }}
{%- endfor %}
