{#- One typed column per selected offer custom field (docs/transform.md). -#}
{{ custom_fields_mart('offer', 'offers', 'offer_id') }}
