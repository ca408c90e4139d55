{#- One typed column per selected candidate custom field (docs/transform.md). -#}
{{ custom_fields_mart('candidate', 'candidates', 'candidate_id') }}
