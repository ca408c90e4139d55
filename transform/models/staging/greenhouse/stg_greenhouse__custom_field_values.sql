{#-
    The custom field values of every record that has them, as landed: one row per candidate,
    application, job, offer and opening with its JSON object {name_key: {name, type, value}}
    (v3 `custom_fields`; v1 `keyed_custom_fields`, openings from the child table
    jobs__openings). The `<entity>_custom_fields` marts type them, one column per field.
-#}
with

candidate_values as (

    {{ custom_field_values_of('candidate', 'candidates') }}

),

application_values as (

    {{ custom_field_values_of('application', 'applications') }}

),

job_values as (

    {{ custom_field_values_of('job', 'jobs') }}

),

offer_values as (

    {{ custom_field_values_of('offer', 'offers') }}

),

opening_values as (

    {{ custom_field_values_of('opening', 'openings') }}

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
