{#-
    The custom field values of every record that has them, as landed: one row per candidate,
    application, job, offer and opening with its JSON object {name_key: {name, type, value}}
    (v3 `custom_fields`; v1 `keyed_custom_fields`, openings from the child table
    jobs__openings). The `<entity>_custom_fields` marts type them, one column per field.
-#}
{%- for account in greenhouse_accounts() %}
{{ account_rows_begin(account, loop.first) }}
    with

    candidate_values as (

        {{ custom_field_values_of('candidate', 'candidates', account) }}

    ),

    application_values as (

        {{ custom_field_values_of('application', 'applications', account) }}

    ),

    job_values as (

        {{ custom_field_values_of('job', 'jobs', account) }}

    ),

    offer_values as (

        {{ custom_field_values_of('offer', 'offers', account) }}

    ),

    opening_values as (

        {{ custom_field_values_of('opening', 'openings', account) }}

    ),

    final as (

        select * from candidate_values

        union all

        select * from application_values

        union all

        select * from job_values

        union all

        select * from offer_values

        union all

        select * from opening_values

    )

    select * from final
{{ account_rows_end() }}
{%- endfor %}
