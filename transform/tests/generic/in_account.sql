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

{#- Fails for every non-null value with no row of `to` in the same account (`field` = value). -#}
{% test relationships_in_account(model, column_name, to, field) %}

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

{% endtest %}
