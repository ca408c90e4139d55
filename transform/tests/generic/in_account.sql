{#
    unique and relationships within one account: with several Greenhouse accounts in one
    warehouse (macros/greenhouse_accounts.sql) an id is unique only together with its
    `source_relation`, and a reference points into its own account. Both read
    `source_relation` from the model under test (and from `to`).
#}

{#- Fails for every (source_relation, value) that appears more than once; nulls are not checked. -#}
{% test unique_in_account(model, column_name) %}

select
    source_relation,
    {{ column_name }},
    count(*) as occurrences
from {{ model }}
where {{ column_name }} is not null
group by source_relation, {{ column_name }}
having count(*) > 1

{% endtest %}

{#-
    Fails for every non-null value with no row of `to` in the same account (`field` = value).
    An account in which `to` has no rows at all is not checked: its endpoint was not read
    (nothing there yet, forbidden to the credentials, or not selected), so there is nothing to
    point into; `elt check` and the run summary name such endpoints.
-#}
{% test relationships_in_account(model, column_name, to, field) %}

{#-
    A warning, not an error: on a live account a record can arrive before the one it points to
    (a candidate changed inside the settle window is read next run, its new application this
    run); the next run completes the pair. The test suite requires every such test to pass.
-#}
{{ config(severity='warn') }}

select
    child.source_relation,
    child.{{ column_name }}
from {{ model }} as child
left join {{ to }} as parent
    on
        child.source_relation = parent.source_relation
        and child.{{ column_name }} = parent.{{ field }}
where
    child.{{ column_name }} is not null
    and parent.{{ field }} is null
    and exists (
        select 1 from {{ to }} as loaded
        where loaded.source_relation = child.source_relation
    )

{% endtest %}

{#-
    Fails for every account whose model has rows but not one value in the column: a time the
    marts are computed from that the raw data lost wholesale (served under another shape, an
    object flattened by the extract into other columns) would otherwise empty the stage history
    and every funnel with every other test green. An account without rows is not checked.
-#}
{% test not_all_null_in_account(model, column_name) %}

select source_relation
from {{ model }}
group by source_relation
having count({{ column_name }}) = 0

{% endtest %}
