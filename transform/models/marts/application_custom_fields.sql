{#- One typed column per selected application custom field (docs/transform.md). -#}
{{ custom_fields_mart('application', 'applications', 'application_id') }}
