{#- One typed column per selected opening custom field (docs/transform.md). -#}
{{ custom_fields_mart('opening', 'openings', 'opening_id') }}
