{#- One typed column per selected job custom field (docs/transform.md). -#}
{{ custom_fields_mart('job', 'jobs', 'job_id') }}
